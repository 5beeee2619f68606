package scraper_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/memlease"
	"github.com/moviepipe/moviepipe/scraper/internal/memruns"
)

// gatedHandler is a handler over a three-page workshop site whose pages
// first pass gate, with the API's budget given.
func gatedHandler(t *testing.T, budget time.Duration, gate func(w http.ResponseWriter, r *http.Request, page int) bool) (*scraper.Handler, *fakeInvoker, *fakePublisher, *sync.Map) {
	site, hits := workshopSiteWith(t, 3, gate)
	s, pub, _, _ := newScraper()
	inv := &fakeInvoker{}
	return &scraper.Handler{Scraper: s, Invoker: inv, URL: site.URL + "/movies?page=1", MaxPages: 100, SyncBudget: budget,
		Lease: &memlease.Lease{}, Runs: &memruns.Runs{}, Log: slog.New(slog.DiscardHandler)}, inv, pub, hits
}

// continueRun runs the continuation the API handed on, as an asynchronous
// invocation with time to spare, and returns the run's status.
func continueRun(t *testing.T, h *scraper.Handler, inv *fakeInvoker) scraper.RunRecord {
	t.Helper()
	if len(inv.got) != 1 {
		t.Fatalf("%d continuations, want 1", len(inv.got))
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	h.Continue(ctx, inv.got[0].Continuation)
	r, err := h.Runs.Load(t.Context(), inv.got[0].Continuation.RunID)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A page that does not answer within the API's budget does not hold the
// answer: the budget is the fetch's deadline, the API answers 202 with
// the run id, and the run goes on from that page in the next invocation,
// publishing every page once. The first page never answers on its own, so
// the API's answer proves the deadline, without timing it.
func TestBudgetBoundsASlowPage(t *testing.T) {
	cut := make(chan struct{})
	var once sync.Once
	h, inv, pub, hits := gatedHandler(t, 500*time.Millisecond, func(_ http.ResponseWriter, r *http.Request, page int) bool {
		first := false
		if page == 1 {
			once.Do(func() { first = true })
		}
		if first {
			<-r.Context().Done() // hangs until the client gives up
			close(cut)
		}
		return first
	})
	resp := h.API(t.Context(), post("", nil))
	var rep scraper.Report
	_ = json.Unmarshal([]byte(resp.Body), &rep)
	if resp.StatusCode != http.StatusAccepted || rep.RunID == "" || !rep.Continues || rep.PagesFetched != 0 || len(rep.Errors) != 0 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	<-cut
	if next := inv.got[0].Continuation; next.Next != h.URL || next.Pages != 0 {
		t.Fatalf("the continuation starts at %s (page %d), want the cut page %s", next.Next, next.Pages, h.URL)
	}
	r := continueRun(t, h, inv)
	if r.State != scraper.StateSucceeded || r.Pages != 3 || r.Published != 6 || len(pub.entries) != 6 {
		t.Fatalf("status %+v, %d records published", r, len(pub.entries))
	}
	if hitCount(hits, 1) != 2 || hitCount(hits, 2) != 1 || hitCount(hits, 3) != 1 {
		t.Fatalf("pages requested %d, %d, %d times; want 2 (one cut), 1, 1", hitCount(hits, 1), hitCount(hits, 2), hitCount(hits, 3))
	}
}

// A 429 whose Retry-After ends past the budget does not hold the answer
// either: the page is deferred, and the next invocation waits out the
// Retry-After before it asks again.
func TestRetryAfterPastTheBudgetWaitsInTheNextInvocation(t *testing.T) {
	var mu sync.Mutex
	var asked []time.Time
	h, inv, _, _ := gatedHandler(t, 300*time.Millisecond, func(w http.ResponseWriter, _ *http.Request, page int) bool {
		if page != 1 {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, time.Now())
		if len(asked) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	resp := h.API(t.Context(), post("", nil))
	next := inv.got[0].Continuation
	if resp.StatusCode != http.StatusAccepted || next.Pages != 0 || next.NotBefore.Before(asked[0].Add(time.Second)) {
		t.Fatalf("%d %s, continuation not before %v", resp.StatusCode, resp.Body, next.NotBefore)
	}
	if r := continueRun(t, h, inv); r.State != scraper.StateSucceeded || r.Pages != 3 {
		t.Fatalf("status %+v", r)
	}
	if len(asked) != 2 || asked[1].Sub(asked[0]) < time.Second {
		t.Fatalf("page 1 asked at %v: want twice, the second after the Retry-After", asked)
	}
}

// A Retry-After beyond the fetcher's bound (MaxRetryWait, 30 s) fails the
// run at once, naming it: it neither holds the answer nor the run.
func TestHugeRetryAfterFailsTheRunAtOnce(t *testing.T) {
	h, inv, _, hits := gatedHandler(t, time.Minute, func(w http.ResponseWriter, _ *http.Request, page int) bool {
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusTooManyRequests)
		return true
	})
	resp := h.API(t.Context(), post("", nil))
	var rep scraper.Report
	_ = json.Unmarshal([]byte(resp.Body), &rep)
	if resp.StatusCode != http.StatusBadGateway || rep.ErrorCode != scraper.ErrorNoPages || rep.RefusedByReason["http-status"] != 1 ||
		len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], "asks to wait 24h0m0s") || len(inv.got) != 0 || hitCount(hits, 1) != 1 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}

// A page that never answers is deferred by each invocation, three in a
// row at most (the API's and two asynchronous ones); then the run fails
// naming the timeout, instead of being handed on forever (it ends as a
// page that fails ends any run: with the pages before it).
func TestAPageThatNeverAnswersFailsTheRun(t *testing.T) {
	h, inv, _, _ := gatedHandler(t, 200*time.Millisecond, func(_ http.ResponseWriter, r *http.Request, page int) bool {
		if page == 2 {
			<-r.Context().Done()
			return true
		}
		return false
	})
	h.AsyncMargin = 200 * time.Millisecond // the fetch's deadline comes before the invocation's
	resp := h.API(t.Context(), post("", nil))
	runID := runIDOf(t, resp)
	for i := range 2 { // the API's invocation deferred the page once; two more in a row fail it
		if len(inv.got) != i+1 {
			t.Fatalf("invocation %d: %d continuations", i+1, len(inv.got))
		}
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		h.Continue(ctx, inv.got[i].Continuation)
		cancel()
	}
	r, err := h.Runs.Load(t.Context(), runID)
	if err != nil || !r.State.Ended() || r.Pages != 1 || len(inv.got) != 2 || !strings.Contains(strings.Join(r.Errors, " "), "could not be fetched within 3 invocations") {
		t.Fatalf("%+v %v, %d continuations", r, err, len(inv.got))
	}
}
