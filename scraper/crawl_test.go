package scraper_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/scraper"
)

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP://Example.COM:80/films?b=2&a=1#top": "http://example.com/films?a=1&b=2",
		"https://example.com:443":                 "https://example.com/",
		"https://example.com:8443/x?":             "https://example.com:8443/x",
		"http://example.com/x?a=2&b=1&a=1":        "http://example.com/x?a=2&a=1&b=1",
		"http://example.com/X?q=a%20b&&p=1":       "http://example.com/X?p=1&q=a%20b",
	} {
		if got, err := scraper.NormalizeURL(in); err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/relative", "ftp://example.com/", "mailto:a@example.com", "http://%zz"} {
		if got, err := scraper.NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) = %q, want an error", bad, got)
		}
	}
}

// chainSite serves workshop-table pages /p/1, /p/2, …, one movie each; the
// next link of page n is next(n, site URL), none when "".
func chainSite(t *testing.T, next func(n int, base string) string) (*httptest.Server, *sync.Map) {
	var hits sync.Map
	var s *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "User-agent: *\nAllow: /\n") })
	mux.HandleFunc("/p/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		_, _ = fmt.Sscan(r.PathValue("n"), &n)
		c, _ := hits.LoadOrStore(n, new(int))
		*c.(*int)++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><body><table class="movieTable"><tbody><tr><td class="id">tt%07d</td><td class="primaryTitle">Movie %d</td><td class="startYear">1999</td><td class="genres">Drama</td></tr></tbody></table>`, n, n)
		if href := next(n, s.URL); href != "" {
			fmt.Fprintf(w, `<a rel="next" href="%s">next</a>`, href)
		}
		fmt.Fprint(w, `</body></html>`)
	})
	s = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, &hits
}

func hitCount(hits *sync.Map, n int) int {
	if c, ok := hits.Load(n); ok {
		return *c.(*int)
	}
	return 0
}

func run(t *testing.T, s *scraper.Scraper, start string, maxPages int) scraper.Report {
	t.Helper()
	now := time.Now()
	rep, next := s.Run(t.Context(), scraper.State{RunID: "r", Next: start, MaxPages: maxPages, Started: now}, now.Add(time.Hour))
	if next != nil {
		t.Fatalf("the run did not end: %+v", rep)
	}
	return rep
}

// A next link back to a page already fetched, written differently (host
// case, default port, fragment, query order), ends the run: each page is
// fetched once and the refusal is counted.
func TestRunStopsAtAPageCycle(t *testing.T) {
	site, hits := chainSite(t, func(n int, base string) string {
		if n < 3 {
			return fmt.Sprintf("/p/%d?b=2&a=1", n+1)
		}
		return strings.Replace(base, "http://", "HTTP://", 1) + "/p/2?a=1&b=2#films" // back to page 2
	})
	s, pub, _, _ := newScraper()
	rep := run(t, s, site.URL+"/p/1", 100)
	if rep.Status != scraper.RunCompleted || rep.PagesFetched != 3 || len(pub.entries) != 3 ||
		rep.RefusedByReason[string(scraper.RefusedVisited)] != 1 || len(rep.Errors) != 0 {
		t.Fatalf("report %+v", rep)
	}
	for n := 1; n <= 3; n++ {
		if got := hitCount(hits, n); got != 1 {
			t.Errorf("page %d fetched %d times", n, got)
		}
	}
}

// A next link to another host is not followed unless that host is allowed;
// the start URL's host always is.
func TestRunStaysOnAllowedHosts(t *testing.T) {
	other, otherHits := chainSite(t, func(int, string) string { return "" })
	site, _ := chainSite(t, func(n int, _ string) string {
		if n == 1 {
			return "/p/2"
		}
		return other.URL + "/p/7"
	})
	s, _, _, _ := newScraper()
	rep := run(t, s, site.URL+"/p/1", 100)
	if rep.PagesFetched != 2 || rep.RefusedByReason[string(scraper.RefusedOtherHost)] != 1 || hitCount(otherHits, 7) != 0 {
		t.Fatalf("default hosts: report %+v, other host hit %d times", rep, hitCount(otherHits, 7))
	}
	s.AllowedHosts = []string{strings.TrimPrefix(other.URL, "http://")}
	rep = run(t, s, site.URL+"/p/1", 100)
	if rep.PagesFetched != 3 || len(rep.RefusedByReason) != 0 || hitCount(otherHits, 7) != 1 {
		t.Fatalf("both hosts allowed: report %+v", rep)
	}
}

// The depth limit and the page limit stop a run and are counted.
func TestRunLimits(t *testing.T) {
	endless := func(n int, _ string) string { return fmt.Sprintf("/p/%d", n+1) }
	site, hits := chainSite(t, endless)
	s, _, _, _ := newScraper()
	s.MaxDepth = 2
	rep := run(t, s, site.URL+"/p/1", 100)
	if rep.Status != scraper.RunCompleted || rep.PagesFetched != 3 || rep.RefusedByReason[string(scraper.RefusedDepth)] != 1 || hitCount(hits, 4) != 0 {
		t.Fatalf("depth 2: report %+v", rep)
	}
	s.MaxDepth = 0
	rep = run(t, s, site.URL+"/p/1", 4)
	if rep.PagesFetched != 4 || rep.RefusedByReason[string(scraper.RefusedPageLimit)] != 1 {
		t.Fatalf("4 pages: report %+v", rep)
	}
}

// The visited set travels with a run handed over to another invocation (as
// JSON), so a cycle that spans the hand-over is still caught.
func TestVisitedSurvivesHandOver(t *testing.T) {
	site, hits := chainSite(t, func(n int, _ string) string { return fmt.Sprintf("/p/%d", n%4+1) }) // 1→2→3→4→1
	s, _, _, _ := newScraper()
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	st := scraper.State{RunID: "r", Next: site.URL + "/p/1", MaxPages: 100, Started: clock}
	var rep scraper.Report
	for next, invocations := &st, 0; next != nil; invocations++ {
		if invocations > 10 {
			t.Fatal("the run never ends")
		}
		event, err := json.Marshal(scraper.Continuation{Continuation: *next})
		if err != nil {
			t.Fatal(err)
		}
		var c scraper.Continuation
		if err := json.Unmarshal(event, &c); err != nil {
			t.Fatal(err)
		}
		rep, next = s.Run(t.Context(), c.Continuation, clock.Add(2*time.Second)) // one page per invocation
	}
	if rep.PagesFetched != 4 || rep.RefusedByReason[string(scraper.RefusedVisited)] != 1 {
		t.Fatalf("report %+v", rep)
	}
	for n := 1; n <= 4; n++ {
		if got := hitCount(hits, n); got != 1 {
			t.Errorf("page %d fetched %d times", n, got)
		}
	}
}

// A page the fetcher refuses ends the run with its reason counted and named.
func TestRunCountsFetchRefusals(t *testing.T) {
	site, _ := chainSite(t, func(int, string) string { return "http://nosuch.invalid/p/2" })
	s, _, _, _ := newScraper()
	s.AllowedHosts = []string{"nosuch.invalid"}
	rep := run(t, s, site.URL+"/p/1", 100)
	if rep.PagesFetched != 1 || rep.RefusedByReason["dns"] != 1 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "DNS failure") {
		t.Fatalf("report %+v", rep)
	}
}
