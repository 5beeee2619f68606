package scraper

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Invoker continues a run in an asynchronous invocation of this function.
type Invoker interface {
	Continue(ctx context.Context, c Continuation) error
}

// Continuation is the event of an asynchronous invocation that continues a
// run: its state, and the trace header the run started with.
type Continuation struct {
	Continuation State `json:"continuation"`
}

// Handler is the Lambda function: API Gateway requests (POST /scrapes, GET
// /scrap_movies) and continuation events.
type Handler struct {
	Scraper *Scraper
	Invoker Invoker
	// Lease keeps one run at a time, over all its invocations.
	Lease    Lease
	URL      string
	MaxPages int
	// SyncBudget is the work done before an API request is answered; the
	// rest continues asynchronously.
	SyncBudget time.Duration
	// AsyncMargin is kept free before an asynchronous invocation's deadline.
	AsyncMargin time.Duration
	TraceID     func(ctx context.Context) string
	Metrics     func(Report)
	Log         *slog.Logger
	Now         func() time.Time
}

// Handle takes either event. It never returns an error and never panics: an
// API request gets a JSON answer (400 problem+json when the event is
// malformed, 500 with code "internal" for a panic API recovered), a
// continuation logs its report (Continue recovers its own panics).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		HTTPMethod   json.RawMessage `json:"httpMethod"` // any type: a wrong one is a 400
		Continuation json.RawMessage `json:"continuation"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		h.log().ErrorContext(ctx, "event is not JSON", "error", err)
		return nil, nil
	}
	if probe.HTTPMethod != nil {
		var req events.APIGatewayProxyRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			return problem(http.StatusBadRequest, CodeMalformedEvent, "The event is not an API Gateway proxy request."), nil
		}
		return h.API(ctx, req), nil
	}
	var c Continuation
	if err := json.Unmarshal(raw, &c); err != nil || c.Continuation.RunID == "" {
		h.log().ErrorContext(ctx, "unknown event: neither an API request nor a continuation", "event", string(raw[:min(len(raw), 512)]))
		return nil, nil
	}
	h.Continue(ctx, c.Continuation)
	return nil, nil
}

// API starts a run for POST /scrapes or GET /scrap_movies. It never panics:
// a panic is recovered into a 500 problem+json with code "internal" and no
// internal text.
func (h *Handler) API(ctx context.Context, req events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse) {
	held := "" // the run whose lease this request holds
	defer func() {
		if h.recovered(ctx, recover()) {
			h.releaseAfterPanic(ctx, held)
			resp = internalError()
		}
	}()
	maxPages, bad := h.maxPages(req)
	if bad != nil {
		return *bad
	}
	now := h.now()
	st := State{RunID: NewRunID(now), Next: h.URL, MaxPages: maxPages, Started: now, TraceHeader: validHeader(h.Scraper.Tracer.Header(ctx))}
	if r, started := h.acquire(ctx, st.RunID, now); !started {
		return r
	}
	held = st.RunID
	rep, next := h.Scraper.Run(ctx, st, now.Add(h.SyncBudget))
	rep.TraceID = h.traceID(ctx)
	h.handOn(ctx, &rep, next)
	h.done(ctx, rep)
	status := http.StatusOK
	switch rep.Status {
	case RunContinuing:
		status = http.StatusAccepted
	case RunFailed:
		status = http.StatusBadGateway
	}
	body, _ := json.Marshal(rep)
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}

// maxPages routes a request and reads its page limit, or the problem to
// answer instead.
func (h *Handler) maxPages(req events.APIGatewayProxyRequest) (int, *events.APIGatewayProxyResponse) {
	fail := func(r events.APIGatewayProxyResponse) (int, *events.APIGatewayProxyResponse) { return 0, &r }
	route := req.Resource
	if route == "" {
		route = req.Path[max(strings.LastIndexByte(req.Path, '/'), 0):]
	}
	if route == "" || req.HTTPMethod == "" {
		return fail(problem(http.StatusBadRequest, CodeMalformedEvent, "The event names no resource, path or method."))
	}
	maxPages := h.MaxPages
	switch {
	case strings.HasSuffix(route, "/scrapes") && req.HTTPMethod == http.MethodPost:
		var body struct {
			MaxPages *int `json:"maxPages"`
		}
		if strings.TrimSpace(req.Body) != "" {
			d := json.NewDecoder(strings.NewReader(req.Body))
			d.DisallowUnknownFields()
			if err := d.Decode(&body); err != nil {
				return fail(problem(http.StatusBadRequest, CodeInvalidBody, `The body is optional; when present it is {"maxPages": n}.`))
			}
		}
		if body.MaxPages != nil {
			maxPages = *body.MaxPages
		}
	case strings.HasSuffix(route, "/scrap_movies") && req.HTTPMethod == http.MethodGet:
		if v, ok := req.QueryStringParameters["maxPages"]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fail(problem(http.StatusBadRequest, CodeInvalidMaxPages, "maxPages is a whole number."))
			}
			maxPages = n
		}
	case strings.HasSuffix(route, "/scrapes") || strings.HasSuffix(route, "/scrap_movies"):
		p := problem(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Use POST /scrapes (or GET /scrap_movies).")
		p.Headers["Allow"] = http.MethodPost
		if strings.HasSuffix(route, "/scrap_movies") {
			p.Headers["Allow"] = http.MethodGet
		}
		return fail(p)
	default:
		return fail(problem(http.StatusNotFound, CodeNoRoute, "Start a scrape with POST /scrapes."))
	}
	if maxPages < 1 || maxPages > 10000 {
		return fail(problem(http.StatusBadRequest, CodeInvalidMaxPages, "maxPages is from 1 to 10000."))
	}
	return maxPages, nil
}

// Continue carries a run on in an asynchronous invocation, and hands it on
// again if it still cannot finish before this invocation's deadline.
// A panic is recovered and logged, and the run's lease released.
func (h *Handler) Continue(ctx context.Context, st State) {
	defer func() {
		if h.recovered(ctx, recover()) {
			h.releaseAfterPanic(ctx, st.RunID)
		}
	}()
	ctx, end := h.Scraper.Tracer.Resume(ctx, st.TraceHeader)
	defer end(nil)
	if err := h.Lease.Renew(ctx, st.RunID, h.now().Add(leaseFor)); err != nil {
		// Lost (it expired and another run took it), or unreadable: either
		// way this run cannot go on without risking two at once.
		h.log().ErrorContext(ctx, "the run stops: its lease could not be renewed", "runId", st.RunID, "error", err)
		return
	}
	until := h.now().Add(15 * time.Minute)
	if dl, ok := ctx.Deadline(); ok {
		until = dl.Add(-h.AsyncMargin)
	}
	rep, next := h.Scraper.Run(ctx, st, until)
	rep.TraceID = h.traceID(ctx)
	h.handOn(ctx, &rep, next)
	h.done(ctx, rep)
}

// acquire takes the lease for a new run; when it cannot, it returns the
// answer: 409 naming the running run, or 503 when the lease is unreadable.
func (h *Handler) acquire(ctx context.Context, run string, now time.Time) (events.APIGatewayProxyResponse, bool) {
	err := h.Lease.Acquire(ctx, run, now.Add(leaseFor))
	var busy *BusyError
	switch {
	case err == nil:
		return events.APIGatewayProxyResponse{}, true
	case errors.As(err, &busy):
		r := problemWith(http.StatusConflict, CodeRunInProgress, "A scrape is running: "+busy.Run+". One runs at a time; follow it, or try again when it ends.",
			map[string]any{"runId": busy.Run})
		return r, false
	}
	h.log().ErrorContext(ctx, "cannot take the scrape lease", "runId", run, "error", err)
	r := problem(http.StatusServiceUnavailable, CodeUnavailable, "The scrape could not start; try again shortly.")
	r.Headers["Retry-After"] = "5"
	return r, false
}

// handOn continues an unfinished run asynchronously, or frees the lease of
// a run that is over.
func (h *Handler) handOn(ctx context.Context, rep *Report, next *State) {
	if next != nil {
		err := h.Invoker.Continue(ctx, Continuation{*next})
		if err == nil {
			return
		}
		h.log().ErrorContext(ctx, "cannot continue the run", "runId", rep.RunID, "error", err)
		rep.Continues = false
		rep.Status = RunFailed
		rep.Errors = append(rep.Errors, "the run could not continue asynchronously")
	}
	if err := h.Lease.Release(ctx, rep.RunID); err != nil {
		h.log().WarnContext(ctx, "the run's lease was not released; it expires on its own", "runId", rep.RunID, "error", err)
	}
}

func (h *Handler) done(ctx context.Context, rep Report) {
	h.log().InfoContext(ctx, "run report", "runId", rep.RunID, "traceId", rep.TraceID, "status", rep.Status,
		"pages", rep.PagesFetched, "parsed", rep.MoviesParsed, "published", rep.RecordsPublished,
		"rejected", rep.RecordsRejected, "publish_failures", rep.PublishFailures, "errors", rep.Errors, "duration_ms", rep.DurationMs)
	if h.Metrics != nil {
		h.Metrics(rep)
	}
}

func (h *Handler) traceID(ctx context.Context) string {
	if h.TraceID == nil {
		return ""
	}
	return h.TraceID(ctx)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// NewRunID names a run: its start time and 32 random bits.
func NewRunID(now time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "run-" + now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
