package scraper_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/internal/memlease"
	"github.com/moviepipe/moviepipe/scraper/internal/memruns"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

const (
	header          = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"
	unsampledHeader = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=0"
)

// workshopPage is page of n in the workshop table layout: three movies
// titled "<title> <page>.<i>", the third refused by the contract.
func workshopPage(page, n int, title string) string {
	var b strings.Builder
	b.WriteString(`<html><body><table class="movieTable"><tbody>`)
	for i := range 3 {
		year := fmt.Sprint(1990 + page)
		if i == 2 {
			year = "2500" // refused by the contract
		}
		fmt.Fprintf(&b, `<tr><td class="id">tt%07d</td><td class="primaryTitle">%s %d.%d</td><td class="startYear">%s</td><td class="genres">Drama,Comedy</td></tr>`, page*10+i, title, page, i, year)
	}
	b.WriteString(`</tbody></table>`)
	if page < n {
		fmt.Fprintf(&b, `<a rel="next" href="/movies?page=%d">next</a>`, page+1)
	}
	b.WriteString(`</body></html>`)
	return b.String()
}

// workshopSite serves n pages of the workshop table layout, three movies a
// page (one of them invalid), and counts the requests per page.
func workshopSite(t *testing.T, n int) (*httptest.Server, *sync.Map) {
	return workshopSiteWith(t, n, nil)
}

// workshopSiteWith is workshopSite whose pages first pass gate: gate
// answers a request itself (and returns true) or lets the page answer.
func workshopSiteWith(t *testing.T, n int, gate func(w http.ResponseWriter, r *http.Request, page int) bool) (*httptest.Server, *sync.Map) {
	var hits sync.Map
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "User-agent: *\nAllow: /\n") })
	mux.HandleFunc("/movies", func(w http.ResponseWriter, r *http.Request) {
		var page int
		_, _ = fmt.Sscan(r.URL.Query().Get("page"), &page)
		c, _ := hits.LoadOrStore(page, new(int))
		*c.(*int)++
		if gate != nil && gate(w, r, page) {
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, workshopPage(page, n, "Movie"))
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, &hits
}

type fakePublisher struct {
	mu      sync.Mutex
	entries []publish.Entry
	refuse  string // an entry key the stream refuses
}

func (p *fakePublisher) Publish(_ context.Context, es []publish.Entry) (int, []publish.Failure) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var failed []publish.Failure
	for _, e := range es {
		if e.Key == p.refuse {
			failed = append(failed, publish.Failure{Entry: e, Reason: "ProvisionedThroughputExceededException"})
			continue
		}
		p.entries = append(p.entries, e)
	}
	return len(es) - len(failed), failed
}

type fakeParker struct{ parked []scraper.ErrorRecord }

func (p *fakeParker) Park(_ context.Context, rs []scraper.ErrorRecord) error {
	p.parked = append(p.parked, rs...)
	return nil
}

type fakeTracer struct{ spans []string }

func (f *fakeTracer) Start(ctx context.Context, name, _ string) (context.Context, func(error)) {
	f.spans = append(f.spans, name)
	return ctx, func(error) {}
}
func (*fakeTracer) Header(context.Context) string { return header }
func (*fakeTracer) Resume(ctx context.Context, _, _ string) (context.Context, func(error)) {
	return ctx, func(error) {}
}

func newScraper() (*scraper.Scraper, *fakePublisher, *fakeParker, *fakeTracer) {
	pub, park, tr := &fakePublisher{}, &fakeParker{}, &fakeTracer{}
	return &scraper.Scraper{
		Fetcher:   fetch.New(fetch.Options{Rate: 1000, Guard: fetch.Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}}),
		Publisher: pub, Parker: park, Tracer: tr, Log: slog.New(slog.DiscardHandler),
	}, pub, park, tr
}

func TestRunFollowsPagesPublishesAndParks(t *testing.T) {
	site, _ := workshopSite(t, 3)
	s, pub, park, tr := newScraper()
	s.TracePerPage, s.TracePerRun = 1, 10
	now := time.Now()
	rep, next := s.Run(t.Context(), scraper.State{RunID: "run-1", Next: site.URL + "/movies?page=1", MaxPages: 10, Started: now}, now.Add(time.Hour))
	if next != nil || rep.Status != "completed" || rep.PagesFetched != 3 || rep.MoviesParsed != 9 ||
		rep.RecordsPublished != 6 || rep.RecordsRejected != 3 || rep.RejectedByReason["invalid_record"] != 3 || rep.Profile != "workshop-table" {
		t.Fatalf("report %+v", rep)
	}
	for _, e := range pub.entries {
		var r struct{ ID, TraceHeader, RunID string }
		_ = json.Unmarshal(e.Data, &r)
		want := unsampledHeader
		if e.Key == "tt0000010" || e.Key == "tt0000020" || e.Key == "tt0000030" {
			want = header // the first record of each page
		}
		if e.Key != r.ID || r.TraceHeader != want || r.RunID != "run-1" {
			t.Errorf("entry key %s, record %+v", e.Key, r)
		}
		if err := contracts.Validate(contracts.MovieRecordV1, e.Data); err != nil {
			t.Error(err)
		}
	}
	for _, e := range park.parked {
		doc, _ := json.Marshal(e)
		if err := contracts.Validate(contracts.ErrorRecordV1, doc); err != nil {
			t.Errorf("parked entry is not an error-record.v1: %v", err)
		}
		if e.Stage != "scrape" || len(e.ValidationErrors) == 0 || e.ValidationErrors[0].InstancePath != "/year" {
			t.Errorf("parked %+v", e)
		}
	}
	if got := strings.Join(tr.spans, ","); got != "GET page 1,PutRecords page 1,GET page 2,PutRecords page 2,GET page 3,PutRecords page 3" {
		t.Errorf("spans %s", got)
	}
}

func TestRunStopsAtMaxPages(t *testing.T) {
	site, hits := workshopSite(t, 5)
	s, _, _, _ := newScraper()
	now := time.Now()
	rep, next := s.Run(t.Context(), scraper.State{RunID: "r", Next: site.URL + "/movies?page=1", MaxPages: 2, Started: now}, now.Add(time.Hour))
	if rep.PagesFetched != 2 || next != nil {
		t.Fatalf("report %+v", rep)
	}
	if _, ok := hits.Load(3); ok {
		t.Fatal("page 3 fetched past maxPages")
	}
}

// A run handed over between pages continues where it stopped: every page is
// fetched once and every record published once.
func TestHandOverScrapesNothingTwice(t *testing.T) {
	site, hits := workshopSite(t, 7)
	s, pub, _, _ := newScraper()
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	st := scraper.State{RunID: "r", Next: site.URL + "/movies?page=1", MaxPages: 100, Started: clock}
	invocations := 0
	for next := &st; next != nil; invocations++ {
		if invocations > 10 {
			t.Fatal("the run never ends")
		}
		var rep scraper.Report
		rep, next = s.Run(t.Context(), *next, clock.Add(4*time.Second)) // about two pages per invocation
		if next != nil && (!rep.Continues || rep.Status != "continuing") {
			t.Fatalf("report %+v", rep)
		}
		if next == nil && (rep.PagesFetched != 7 || rep.RecordsPublished != 14) {
			t.Fatalf("final report %+v", rep)
		}
	}
	if invocations < 3 {
		t.Fatalf("%d invocations: the budget did not hand over", invocations)
	}
	for page := 1; page <= 7; page++ {
		c, ok := hits.Load(page)
		if !ok || *c.(*int) != 1 {
			t.Errorf("page %d fetched %v times", page, c)
		}
	}
	seen := map[string]bool{}
	for _, e := range pub.entries {
		if seen[e.Key] {
			t.Errorf("%s published twice", e.Key)
		}
		seen[e.Key] = true
	}
}

func TestRunReportsNoKnownLayout(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body><p>Under construction</p></body></html>")
	}))
	defer site.Close()
	s, _, _, _ := newScraper()
	rep, _ := s.Run(t.Context(), scraper.State{RunID: "r", Next: site.URL + "/", MaxPages: 1, Started: time.Now()}, time.Now().Add(time.Hour))
	if rep.Status != "failed" || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "no known layout matched") {
		t.Fatalf("report %+v", rep)
	}
}

type fakeInvoker struct{ got []scraper.Continuation }

func (f *fakeInvoker) Continue(_ context.Context, c scraper.Continuation) error {
	f.got = append(f.got, c)
	return nil
}

func newHandler(t *testing.T, pages int) (*scraper.Handler, *fakeInvoker, *fakePublisher) {
	site, _ := workshopSite(t, pages)
	s, pub, _, _ := newScraper()
	inv := &fakeInvoker{}
	return &scraper.Handler{Scraper: s, Invoker: inv, URL: site.URL + "/movies?page=1", MaxPages: 100, SyncBudget: time.Minute,
		Lease: &memlease.Lease{}, Runs: &memruns.Runs{}, Log: slog.New(slog.DiscardHandler)}, inv, pub
}

func TestAPI(t *testing.T) {
	tests := []struct {
		name       string
		req        events.APIGatewayProxyRequest
		wantStatus int
		wantPages  int
	}{
		{"POST /scrapes", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes", Body: `{"maxPages": 2}`}, 200, 2},
		{"POST /scrapes without a body", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes"}, 200, 3},
		{"GET /scrap_movies", events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/scrap_movies", QueryStringParameters: map[string]string{"maxPages": "1"}}, 200, 1},
		{"malformed body", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes", Body: `{"maxPages": "two"}`}, 400, 0},
		{"unknown body field", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes", Body: `{"url": "http://169.254.169.254/"}`}, 400, 0},
		{"maxPages out of range", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes", Body: `{"maxPages": 0}`}, 400, 0},
		{"wrong method", events.APIGatewayProxyRequest{HTTPMethod: "DELETE", Resource: "/scrapes"}, 405, 0},
		{"wrong method on /scrap_movies", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrap_movies"}, 405, 0},
		{"unknown route", events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/nope"}, 404, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, _ := newHandler(t, 3)
			resp := h.API(t.Context(), tt.req)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body is not JSON: %s", resp.Body)
			}
			if tt.wantStatus != 200 {
				if resp.Headers["Content-Type"] != "application/problem+json" || body["status"] != float64(tt.wantStatus) || body["code"] == "" || body["code"] == nil {
					t.Fatalf("problem %v %s", resp.Headers, resp.Body)
				}
				// A 405 names the method its route takes.
				if allow := map[string]string{"/scrapes": "POST", "/scrap_movies": "GET"}[tt.req.Resource]; tt.wantStatus == 405 && resp.Headers["Allow"] != allow {
					t.Fatalf("Allow %q on %s, want %q", resp.Headers["Allow"], tt.req.Resource, allow)
				}
				return
			}
			if body["pagesFetched"] != float64(tt.wantPages) || body["runId"] == "" || body["continues"] != false {
				t.Fatalf("report %s", resp.Body)
			}
		})
	}
}

func TestAPIAnswersEarlyAndContinues(t *testing.T) {
	h, inv, pub := newHandler(t, 6)
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h.Now = func() time.Time { return clock }
	h.Scraper.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	h.Lease = &memlease.Lease{Now: func() time.Time { return clock }}
	h.SyncBudget = 5 * time.Second
	resp := h.API(t.Context(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes"})
	var rep scraper.Report
	_ = json.Unmarshal([]byte(resp.Body), &rep)
	if resp.StatusCode != http.StatusAccepted || !rep.Continues || len(inv.got) != 1 || rep.PagesFetched == 6 {
		t.Fatalf("status %d, report %+v, continuations %d", resp.StatusCode, rep, len(inv.got))
	}
	// The asynchronous invocation gets the continuation as its event.
	event, _ := json.Marshal(inv.got[0])
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	h.AsyncMargin = 0
	h.Scraper.Now = time.Now
	if _, err := h.Handle(ctx, event); err != nil {
		t.Fatal(err)
	}
	if len(pub.entries) != 12 {
		t.Fatalf("%d records published over the whole run, want 12", len(pub.entries))
	}
}

// One scrape at a time: a request while a run holds the lease gets 409
// problem+json naming the run, its status's Location and a Retry-After; when the run ends, the lease is free; a run
// that continues asynchronously keeps it over its invocations; an
// unreadable lease is 503 with Retry-After.
func TestOneRunAtATime(t *testing.T) {
	h, inv, _ := newHandler(t, 6)
	post := events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes"}
	if resp := h.API(t.Context(), post); resp.StatusCode != http.StatusOK {
		t.Fatalf("first run: %d %s", resp.StatusCode, resp.Body)
	}
	if resp := h.API(t.Context(), post); resp.StatusCode != http.StatusOK {
		t.Fatalf("a run after the first ended: %d %s", resp.StatusCode, resp.Body)
	}
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h.Now = func() time.Time { return clock }
	h.Scraper.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	h.Lease = &memlease.Lease{Now: func() time.Time { return clock }}
	h.SyncBudget = 3 * time.Second
	first := h.API(t.Context(), post)
	var rep scraper.Report
	_ = json.Unmarshal([]byte(first.Body), &rep)
	if first.StatusCode != http.StatusAccepted || len(inv.got) != 1 {
		t.Fatalf("a long run: %d, %d continuations", first.StatusCode, len(inv.got))
	}
	second := h.API(t.Context(), post)
	var p struct {
		Status int
		RunID  string `json:"runId"`
	}
	_ = json.Unmarshal([]byte(second.Body), &p)
	if second.StatusCode != http.StatusConflict || second.Headers["Content-Type"] != "application/problem+json" || p.RunID != rep.RunID ||
		second.Headers["Location"] != "/scrapes/"+rep.RunID || second.Headers["Retry-After"] != "30" {
		t.Fatalf("while %s runs: %d %s", rep.RunID, second.StatusCode, second.Body)
	}
	h.Lease = failingLease{}
	if resp := h.API(t.Context(), post); resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" {
		t.Fatalf("unreadable lease: %d %v", resp.StatusCode, resp.Headers)
	}
}

type failingLease struct{}

func (failingLease) Acquire(context.Context, string, time.Time) error {
	return errors.New("ProvisionedThroughputExceededException")
}
func (failingLease) Renew(context.Context, string, time.Time) error { return nil }
func (failingLease) Release(context.Context, string) error          { return nil }

func TestHandleUnknownEvent(t *testing.T) {
	h, _, _ := newHandler(t, 1)
	for _, ev := range []string{`"x"`, `{}`, `{"continuation": {}}`, `not json`} {
		if out, err := h.Handle(t.Context(), json.RawMessage(ev)); err != nil || out != nil {
			t.Errorf("%s: %v %v", ev, out, err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	env := map[string]string{"SCRAPE_URL": "ftp://x", "SCRAPE_PROFILE": "nope", "SCRAPE_RATE": "0", "SCRAPE_MAX_PAGES": "0",
		"SCRAPE_ALLOWED_NETWORKS": "127.0.0.1", "SCRAPE_SYNC_BUDGET": "21s", "SCRAPE_MAX_CRAWL_DELAY": "1h",
		"SCRAPE_MAX_DEPTH": "0", "SCRAPE_ALLOWED_HOSTS": "example.com, http://other.example/", "SCRAPE_TRACE_PER_PAGE": "-1", "SCRAPE_TRACE_PER_RUN": "lots"}
	_, err := scraper.LoadConfig(func(k string) string { return env[k] })
	for _, name := range []string{"SCRAPE_URL", "STREAM_NAME", "ERRORS_TABLE", "RUNS_TABLE", "SCRAPE_PROFILE", "SCRAPE_RATE", "SCRAPE_MAX_PAGES", "SCRAPE_ALLOWED_NETWORKS", "SCRAPE_SYNC_BUDGET", "SCRAPE_MAX_CRAWL_DELAY",
		"SCRAPE_MAX_DEPTH", "SCRAPE_ALLOWED_HOSTS", "SCRAPE_TRACE_PER_PAGE", "SCRAPE_TRACE_PER_RUN"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	ok := map[string]string{"SCRAPE_URL": "https://example.com/", "STREAM_NAME": "s", "ERRORS_TABLE": "e", "RUNS_TABLE": "r", "SCRAPE_PROFILE": "workshop-cards",
		"SCRAPE_ALLOWED_HOSTS": "example.com, films.example.com:8080"}
	c, err := scraper.LoadConfig(func(k string) string { return ok[k] })
	if err != nil || c.Profile.Name != "workshop-cards" || c.Fetch.Rate != 1 || c.MaxPages != 100 || c.Fetch.MaxCrawlDelay != 30*time.Second ||
		c.MaxDepth != scraper.DefaultMaxDepth || strings.Join(c.AllowedHosts, " ") != "example.com films.example.com:8080" ||
		c.TracePerPage != scraper.DefaultTracePerPage || c.TracePerRun != scraper.DefaultTracePerRun {
		t.Fatalf("%+v %v", c, err)
	}
}
