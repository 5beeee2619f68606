package scraper_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/memlease"
)

// post is POST /scrapes through the stage "dev", with headers.
func post(body string, headers map[string]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes", Path: "/scrapes", Body: body, Headers: headers,
		RequestContext: events.APIGatewayProxyRequestContext{Path: "/dev/scrapes"}}
}

// status is GET /scrapes/{runId}'s answer, checked against run.v1.
func status(t *testing.T, h *scraper.Handler, runID string) scraper.RunRecord {
	t.Helper()
	resp := h.API(t.Context(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/scrapes/{runId}", Path: "/scrapes/" + runID,
		PathParameters: map[string]string{"runId": runID}, RequestContext: events.APIGatewayProxyRequestContext{Path: "/dev/scrapes/" + runID}})
	return runOf(t, resp, http.StatusOK)
}

func runOf(t *testing.T, resp events.APIGatewayProxyResponse, code int) scraper.RunRecord {
	t.Helper()
	if resp.StatusCode != code || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("want %d application/json, got %d %v %s", code, resp.StatusCode, resp.Headers, resp.Body)
	}
	if err := contracts.Validate(contracts.RunV1, []byte(resp.Body)); err != nil {
		t.Fatalf("not a run.v1: %v\n%s", err, resp.Body)
	}
	var r scraper.RunRecord
	_ = json.Unmarshal([]byte(resp.Body), &r)
	if want := "/dev/scrapes/" + r.RunID; resp.Headers["Location"] != want {
		t.Fatalf("Location %q, want %q", resp.Headers["Location"], want)
	}
	return r
}

// A run answered 200 is followed at its Location: succeeded, with the
// report's counts.
func TestRunStatusFollowsTheRun(t *testing.T) {
	h, _, _ := newHandler(t, 3)
	h.TraceID = func(context.Context) string { return "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e" }
	resp := h.API(t.Context(), post(`{"maxPages": 2}`, nil))
	var rep scraper.Report
	_ = json.Unmarshal([]byte(resp.Body), &rep)
	if resp.StatusCode != http.StatusOK || resp.Headers["Location"] != "/dev/scrapes/"+rep.RunID {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	r := status(t, h, rep.RunID)
	if r.State != scraper.StateSucceeded || r.MaxPages != 2 || r.Pages != 2 || r.Published != rep.RecordsPublished || r.Rejected != 2 ||
		r.Parked != 2 || r.TraceID != rep.TraceID || r.FinishedAt == nil || r.ErrorCode != "" {
		t.Fatalf("status %+v for report %+v", r, rep)
	}
}

// A run that continues asynchronously reads "continued" until its last
// invocation ends it.
func TestRunStatusOverInvocations(t *testing.T) {
	h, inv, _, _ := clockedHandler(t)
	var metrics []scraper.Report
	h.Metrics = func(r scraper.Report) { metrics = append(metrics, r) }
	resp := h.API(t.Context(), post("", nil))
	runID := runIDOf(t, resp)
	if r := status(t, h, runID); resp.StatusCode != http.StatusAccepted || r.State != scraper.StateContinued || r.Pages == 0 || r.FinishedAt != nil {
		t.Fatalf("%d, status %+v", resp.StatusCode, r)
	}
	h.AsyncMargin, h.Scraper.Now = 0, time.Now
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	h.Continue(ctx, inv.got[0].Continuation)
	if r := status(t, h, runID); r.State != scraper.StateSucceeded || r.Pages != 6 || r.Published != 12 || r.Parked != 6 {
		t.Fatalf("after the continuation: %+v", r)
	}
	// The metrics of the run's invocations add up to the run.
	if pages, published := sum(metrics, func(r scraper.Report) int { return r.PagesFetched }), sum(metrics, func(r scraper.Report) int { return r.RecordsPublished }); pages != 6 || published != 12 {
		t.Fatalf("metrics over the invocations: %d pages, %d published; want 6 and 12", pages, published)
	}
}

// Lambda may deliver an asynchronous event twice: the second copy of a
// continuation is dropped before it renews the lease or fetches a page.
func TestDuplicateContinuationIsDropped(t *testing.T) {
	h, inv, pub, _ := clockedHandler(t)
	runID := runIDOf(t, h.API(t.Context(), post("", nil)))
	h.AsyncMargin, h.Scraper.Now = 0, time.Now
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	h.Continue(ctx, inv.got[0].Continuation)
	published := len(pub.entries)
	h.Continue(ctx, inv.got[0].Continuation) // the same event again
	if r := status(t, h, runID); len(pub.entries) != published || r.State != scraper.StateSucceeded || r.Published != 12 {
		t.Fatalf("the copy published %d more records; status %+v", len(pub.entries)-published, r)
	}
}

func sum(rs []scraper.Report, f func(scraper.Report) int) int {
	n := 0
	for _, r := range rs {
		n += f(r)
	}
	return n
}

// A run no invocation wrote for longer than a lease (its function timed out
// or crashed) reads failed, abandoned.
func TestRunStatusAbandoned(t *testing.T) {
	h, _, _, clock := clockedHandler(t)
	runID := runIDOf(t, h.API(t.Context(), post("", nil)))
	*clock = clock.Add(21 * time.Minute)
	if r := status(t, h, runID); r.State != scraper.StateFailed || r.ErrorCode != scraper.ErrorAbandoned || r.FinishedAt == nil {
		t.Fatalf("a silent run: %+v", r)
	}
}

func runIDOf(t *testing.T, resp events.APIGatewayProxyResponse) string {
	t.Helper()
	var rep struct {
		RunID string `json:"runId"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &rep); err != nil || rep.RunID == "" {
		t.Fatalf("no runId: %d %s", resp.StatusCode, resp.Body)
	}
	return rep.RunID
}

// The same Idempotency-Key twice starts one run: the repeat answers the
// run's status; the key with other parameters is 422; a request that could
// not start its run frees its key.
func TestIdempotencyKey(t *testing.T) {
	h, _, pub := newHandler(t, 3)
	key := map[string]string{"idempotency-key": "order-42"}
	first := h.API(t.Context(), post(`{"maxPages": 2}`, key))
	runID := runIDOf(t, first)
	published := len(pub.entries)
	again := h.API(t.Context(), post(`{"maxPages": 2}`, map[string]string{"Idempotency-Key": "order-42"}))
	if r := runOf(t, again, http.StatusOK); r.RunID != runID || again.Headers["Idempotent-Replayed"] != "true" || len(pub.entries) != published {
		t.Fatalf("repeat: %+v, %d records published, want %d", r, len(pub.entries), published)
	}
	doc := problemOf(t, h.API(t.Context(), post(`{"maxPages": 3}`, key)), http.StatusUnprocessableEntity, scraper.CodeIdempotencyKeyReused)
	if doc["runId"] != runID {
		t.Fatalf("422 names %v, want %s", doc["runId"], runID)
	}
	// A run holds the lease: the request with a new key is 409 and frees it.
	lease := &memlease.Lease{}
	h.Lease = lease
	if err := lease.Acquire(t.Context(), "run-other", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	other := map[string]string{"Idempotency-Key": "order-43"}
	problemOf(t, h.API(t.Context(), post("", other)), http.StatusConflict, scraper.CodeRunInProgress)
	_ = lease.Release(t.Context(), "run-other")
	if resp := h.API(t.Context(), post("", other)); resp.StatusCode != http.StatusOK || resp.Headers["Idempotent-Replayed"] != "" {
		t.Fatalf("the freed key: %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
}

func TestIdempotencyKeyRefused(t *testing.T) {
	h, _, pub := newHandler(t, 1)
	for name, req := range map[string]events.APIGatewayProxyRequest{
		"empty":      post("", map[string]string{"Idempotency-Key": " "}),
		"too long":   post("", map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}),
		"control":    post("", map[string]string{"Idempotency-Key": "a\tb"}),
		"two values": {HTTPMethod: "POST", Resource: "/scrapes", MultiValueHeaders: map[string][]string{"Idempotency-Key": {"a", "b"}}},
	} {
		t.Run(name, func(t *testing.T) {
			problemOf(t, h.API(t.Context(), req), http.StatusBadRequest, scraper.CodeInvalidIdempotencyKey)
		})
	}
	if len(pub.entries) != 0 {
		t.Fatalf("a refused request published %d records", len(pub.entries))
	}
}

func TestRunStatusProblems(t *testing.T) {
	h, _, _ := newHandler(t, 1)
	get := func(id string) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/scrapes/{runId}", PathParameters: map[string]string{"runId": id}}
	}
	problemOf(t, h.API(t.Context(), get("run-20261203T053000Z-0a1b2c3d")), http.StatusNotFound, scraper.CodeNoRun)
	problemOf(t, h.API(t.Context(), get("../etc")), http.StatusBadRequest, scraper.CodeInvalidRunID)
	del := get("run-20261203T053000Z-0a1b2c3d")
	del.HTTPMethod = "DELETE"
	if p := h.API(t.Context(), del); p.StatusCode != http.StatusMethodNotAllowed || p.Headers["Allow"] != "GET" {
		t.Fatalf("DELETE: %d %v", p.StatusCode, p.Headers)
	}
	h.Runs = failingRuns{}
	if p := problemOf(t, h.API(t.Context(), get("run-20261203T053000Z-0a1b2c3d")), http.StatusServiceUnavailable, scraper.CodeUnavailable); p["detail"] == "" {
		t.Fatal("no detail")
	}
	if resp := h.API(t.Context(), post("", map[string]string{"Idempotency-Key": "k"})); resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" {
		t.Fatalf("unreadable claims: %d %v", resp.StatusCode, resp.Headers)
	}
}

// A run whose continuation cannot start, and a run whose lease is lost,
// read failed with their codes.
func TestRunStatusFailures(t *testing.T) {
	h, _, _, clock := clockedHandler(t)
	h.Invoker = failingInvoker{}
	resp := h.API(t.Context(), post("", nil))
	if r := status(t, h, runIDOf(t, resp)); resp.StatusCode != http.StatusBadGateway || r.State != scraper.StateFailed || r.ErrorCode != scraper.ErrorContinuationFailed {
		t.Fatalf("%d %+v", resp.StatusCode, r)
	}
	st := scraper.State{RunID: "run-20261126T090000Z-0a0a0a0a", Next: h.URL, MaxPages: 5, Started: *clock}
	h.Continue(t.Context(), st) // nobody holds its lease: lost
	if r := status(t, h, st.RunID); r.State != scraper.StateFailed || r.ErrorCode != scraper.ErrorLeaseLost {
		t.Fatalf("lost lease: %+v", r)
	}
}

type failingInvoker struct{}

func (failingInvoker) Continue(context.Context, scraper.Continuation) error {
	return errors.New("TooManyRequestsException")
}

type failingRuns struct{}

func (failingRuns) Save(context.Context, scraper.RunRecord) error  { return errors.New("throttled") }
func (failingRuns) Begin(context.Context, scraper.RunRecord) error { return errors.New("throttled") }
func (failingRuns) Load(context.Context, string) (scraper.RunRecord, error) {
	return scraper.RunRecord{}, errors.New("throttled")
}
func (failingRuns) Claim(context.Context, scraper.KeyClaim, time.Time) error {
	return errors.New("throttled")
}
func (failingRuns) Unclaim(context.Context, string, string) error { return nil }

// clockedHandler is a handler over six pages whose clock moves a second a
// page, with a 3 s budget: its runs continue asynchronously. clock is the
// handler's time, to move.
func clockedHandler(t *testing.T) (*scraper.Handler, *fakeInvoker, *fakePublisher, *time.Time) {
	h, inv, pub := newHandler(t, 6)
	clock := new(time.Time)
	*clock = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h.Now = func() time.Time { return *clock }
	h.Scraper.Now = func() time.Time { *clock = clock.Add(time.Second); return *clock }
	h.Lease = &memlease.Lease{Now: func() time.Time { return *clock }}
	h.SyncBudget = 3 * time.Second
	return h, inv, pub, clock
}
