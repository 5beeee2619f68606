package scraper_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/memruns"
	"github.com/moviepipe/moviepipe/scraper/profile"
)

// scrapeOnce is one POST /scrapes with body, answered 200, and its report.
func scrapeOnce(t *testing.T, h *scraper.Handler, body string) scraper.Report {
	t.Helper()
	resp := h.API(t.Context(), post(body, nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	return reportOf(t, resp)
}

// A site without validators: a page whose movies did not change is fetched
// and not published again (the hash of its movies); a changed page is;
// force publishes every page.
func TestUnchangedPagesAreNotPublishedAgain(t *testing.T) {
	var mu sync.Mutex
	title := map[int]string{}
	h, _, pub, _ := gatedHandler(t, time.Minute, func(w http.ResponseWriter, _ *http.Request, page int) bool {
		mu.Lock()
		defer mu.Unlock()
		if title[page] == "" {
			return false
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(workshopPage(page, 3, title[page])))
		return true
	})
	h.Scraper.Pages = &memruns.Pages{}
	if rep := scrapeOnce(t, h, ""); rep.RecordsPublished != 6 || rep.PagesUnchanged != 0 || rep.RecordsRejected != 3 {
		t.Fatalf("first run %+v", rep)
	}
	if rep := scrapeOnce(t, h, ""); rep.PagesFetched != 3 || rep.PagesUnchanged != 3 || rep.RecordsPublished != 0 || rep.RecordsRejected != 0 || len(pub.entries) != 6 {
		t.Fatalf("nothing changed: %+v, %d records published in all", rep, len(pub.entries))
	}
	mu.Lock()
	title[2] = "Film" // page 2's movies are renamed
	mu.Unlock()
	rep := scrapeOnce(t, h, "")
	if rep.PagesUnchanged != 2 || rep.RecordsPublished != 2 || !strings.HasPrefix(titleOf(t, pub.entries[len(pub.entries)-1].Data), "Film 2.") {
		t.Fatalf("page 2 changed: %+v", rep)
	}
	if rep := scrapeOnce(t, h, `{"force": true}`); rep.PagesUnchanged != 0 || rep.RecordsPublished != 6 {
		t.Fatalf("forced: %+v", rep)
	}
}

// A site with validators is asked conditionally: a 304 is a page
// unchanged, and the run goes on from the remembered next link.
func TestNotModifiedPagesAreNotPublishedAgain(t *testing.T) {
	var mu sync.Mutex
	var conditional, notModified int
	modified := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	h, _, pub, hits := gatedHandler(t, time.Minute, func(w http.ResponseWriter, r *http.Request, page int) bool {
		mu.Lock()
		if r.Header.Get("If-None-Match") != "" {
			conditional++
		}
		mu.Unlock()
		w.Header().Set("ETag", `"p`+r.URL.Query().Get("page")+`"`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		rec := &statusRecorder{ResponseWriter: w}
		http.ServeContent(rec, r, "", modified, strings.NewReader(workshopPage(page, 3, "Movie")))
		mu.Lock()
		if rec.code == http.StatusNotModified {
			notModified++
		}
		mu.Unlock()
		return true
	})
	h.Scraper.Pages = &memruns.Pages{}
	scrapeOnce(t, h, "")
	rep := scrapeOnce(t, h, `{"maxPages": 100}`)
	if rep.PagesFetched != 3 || rep.PagesUnchanged != 3 || rep.MoviesParsed != 0 || rep.RecordsPublished != 0 || len(pub.entries) != 6 {
		t.Fatalf("second run %+v, %d records published in all", rep, len(pub.entries))
	}
	if conditional != 3 || notModified != 3 || hitCount(hits, 3) != 2 {
		t.Fatalf("%d conditional requests, %d answered 304, page 3 asked %d times", conditional, notModified, hitCount(hits, 3))
	}
	if rep := scrapeOnce(t, h, `{"force": true}`); rep.RecordsPublished != 6 || conditional != 3 {
		t.Fatalf("forced: %+v, %d conditional requests", rep, conditional)
	}
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// force is a start parameter: of the body, of the workshop's query, and of
// what an Idempotency-Key remembers.
func TestForceIsAStartParameter(t *testing.T) {
	h, _, _, _ := gatedHandler(t, time.Minute, nil)
	key := map[string]string{"Idempotency-Key": "k"}
	scrapeOnce(t, h, "")
	h.API(t.Context(), post(`{"force": false}`, key))
	problemOf(t, h.API(t.Context(), post(`{"force": true}`, key)), http.StatusUnprocessableEntity, scraper.CodeIdempotencyKeyReused)
	problemOf(t, h.API(t.Context(), post(`{"force": "yes"}`, nil)), http.StatusBadRequest, scraper.CodeInvalidBody)
	bad := events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/scrap_movies", QueryStringParameters: map[string]string{"force": "maybe"}}
	problemOf(t, h.API(t.Context(), bad), http.StatusBadRequest, scraper.CodeInvalidBody)
}

func reportOf(t *testing.T, resp events.APIGatewayProxyResponse) scraper.Report {
	t.Helper()
	var rep scraper.Report
	if err := json.Unmarshal([]byte(resp.Body), &rep); err != nil {
		t.Fatalf("not a report: %s", resp.Body)
	}
	return rep
}

func titleOf(t *testing.T, record []byte) string {
	t.Helper()
	var r struct{ Title string }
	if err := json.Unmarshal(record, &r); err != nil {
		t.Fatal(err)
	}
	return r.Title
}

// A page with a record the stream refused is published again by the next
// run, even unchanged: what was remembered of it before is forgotten.
func TestPartlyPublishedPagesArePublishedAgain(t *testing.T) {
	h, _, pub, _ := gatedHandler(t, time.Minute, nil)
	h.Scraper.Pages = &memruns.Pages{}
	scrapeOnce(t, h, "")
	pub.refuse = "tt0000021" // page 2's first movie
	if rep := scrapeOnce(t, h, `{"force": true}`); rep.PublishFailures != 1 {
		t.Fatalf("forced run with a refusal: %+v", rep)
	}
	pub.refuse = ""
	if rep := scrapeOnce(t, h, ""); rep.PagesUnchanged != 2 || rep.RecordsPublished != 2 {
		t.Fatalf("the next run: %+v, want page 2 published again", rep)
	}
}

// A page remembered as read with another profile, or another version of
// the same one, is read and published again; a remembered profile that no
// longer exists is no memory at all.
func TestPagesReadWithAnotherProfileAreReadAgain(t *testing.T) {
	h, _, _, _ := gatedHandler(t, time.Minute, nil)
	pages := &memruns.Pages{}
	h.Scraper.Pages = pages
	scrapeOnce(t, h, "") // detected: workshop-table
	edited, err := profile.Builtin("workshop-table")
	if err != nil {
		t.Fatal(err)
	}
	edited.Description = "edited" // the same name, another version
	h.Scraper.Profile = edited
	if rep := scrapeOnce(t, h, ""); rep.PagesUnchanged != 0 || rep.RecordsPublished != 6 {
		t.Fatalf("an edited profile: %+v", rep)
	}
	mysite := *edited
	mysite.Name = "mysite"
	h.Scraper.Profile = &mysite
	scrapeOnce(t, h, "")
	h.Scraper.Profile = nil // detection again: "mysite" is not a built-in
	if rep := scrapeOnce(t, h, ""); rep.Status != scraper.RunCompleted || rep.PagesUnchanged != 0 || rep.RecordsPublished != 6 {
		t.Fatalf("a profile that no longer exists: %+v", rep)
	}
}
