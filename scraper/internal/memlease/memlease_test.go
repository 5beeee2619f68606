package memlease_test

import (
	"testing"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/leasetest"
	"github.com/moviepipe/moviepipe/scraper/internal/memlease"
)

func TestConformance(t *testing.T) {
	leasetest.Run(t, func(*testing.T) scraper.Lease { return &memlease.Lease{} })
}
