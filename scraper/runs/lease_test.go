package runs_test

import (
	"testing"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/leasetest"
	"github.com/moviepipe/moviepipe/scraper/internal/runstest"
	"github.com/moviepipe/moviepipe/scraper/runs"
)

func TestLeaseConformance(t *testing.T) {
	leasetest.Run(t, func(t *testing.T) scraper.Lease {
		c, name := runstest.Table(t)
		return &runs.Lease{API: c, Name: name}
	})
}
