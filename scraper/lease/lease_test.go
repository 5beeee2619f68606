package lease_test

import (
	"testing"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/leasetest"
	"github.com/moviepipe/moviepipe/scraper/internal/runstest"
	"github.com/moviepipe/moviepipe/scraper/lease"
)

func TestConformance(t *testing.T) {
	leasetest.Run(t, func(t *testing.T) scraper.Lease {
		c, name := runstest.Table(t)
		return &lease.Table{API: c, Name: name}
	})
}
