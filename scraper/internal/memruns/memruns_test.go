package memruns_test

import (
	"testing"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/memruns"
	"github.com/moviepipe/moviepipe/scraper/internal/runstest"
)

func TestConformance(t *testing.T) {
	runstest.Run(t, func(*testing.T) scraper.Runs { return &memruns.Runs{} })
}

func TestPagesConformance(t *testing.T) {
	runstest.RunPages(t, func(*testing.T) scraper.Pages { return &memruns.Pages{} })
}
