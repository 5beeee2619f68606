package memstore_test

import (
	"testing"

	"github.com/moviepipe/moviepipe/query-api/internal/memstore"
	"github.com/moviepipe/moviepipe/query-api/internal/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Subject { return memstore.New() })
}
