package runstest

import (
	"testing"

	"github.com/moviepipe/moviepipe/scraper"
)

// RunPages is the suite every scraper.Pages passes; newPages returns an
// empty memory for each test.
func RunPages(t *testing.T, newPages func(t *testing.T) scraper.Pages) {
	t.Run("nothing remembered", func(t *testing.T) {
		m, err := newPages(t).Recall(t.Context(), "https://films.example.com/films?page=1")
		if err != nil || m != (scraper.PageMemory{}) {
			t.Fatalf("%+v %v, want the zero memory", m, err)
		}
	})
	t.Run("remembered, then remembered over", func(t *testing.T) {
		p := newPages(t)
		const url = "https://films.example.com/films?page=1"
		first := scraper.PageMemory{Hash: "ab12", Next: "https://films.example.com/films?page=2", Profile: "catalogue"}
		first.ETag, first.LastModified = `"v1"`, "Tue, 01 Dec 2026 08:00:00 GMT"
		second := scraper.PageMemory{Hash: "cd34", Profile: "catalogue"} // no validators, no next page
		for _, want := range []scraper.PageMemory{first, second} {
			if err := p.Remember(t.Context(), url, want); err != nil {
				t.Fatal(err)
			}
			if got, err := p.Recall(t.Context(), url); err != nil || got != want {
				t.Fatalf("recalled %+v %v, want %+v", got, err, want)
			}
		}
		if got, _ := p.Recall(t.Context(), url+"&x"); got != (scraper.PageMemory{}) {
			t.Fatalf("another URL recalled %+v", got)
		}
	})
}
