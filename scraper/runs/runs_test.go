package runs_test

import (
	"testing"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/leasetest"
	"github.com/moviepipe/moviepipe/scraper/internal/runstest"
	"github.com/moviepipe/moviepipe/scraper/runs"
)

func TestConformance(t *testing.T) {
	runstest.Run(t, func(t *testing.T) scraper.Runs {
		c, name := runstest.Table(t)
		return &runs.Table{API: c, Name: name}
	})
}

func TestPagesConformance(t *testing.T) {
	runstest.RunPages(t, func(t *testing.T) scraper.Pages {
		c, name := runstest.Table(t)
		return &runs.Pages{API: c, Name: name}
	})
}

func TestLeaseConformance(t *testing.T) {
	leasetest.Run(t, func(t *testing.T) scraper.Lease {
		c, name := runstest.Table(t)
		return &runs.Lease{API: c, Name: name}
	})
}
