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
// /scrapes/{runId}, GET /scrap_movies) and continuation events.
type Handler struct {
	Scraper *Scraper
	Invoker Invoker
	// Lease keeps one run at a time, over all its invocations.
	Lease Lease
	// Runs keeps the runs' statuses and the requests' idempotency keys.
	Runs     Runs
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

// API answers the routes: POST /scrapes and GET /scrap_movies start a run,
// GET /scrapes/{runId} reads one. It never panics: a panic is recovered
// into a 500 problem+json with code "internal" and no internal text.
func (h *Handler) API(ctx context.Context, req events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse) {
	var held *State // the run whose lease this request holds
	defer func() {
		if h.recovered(ctx, recover()) {
			h.endAfterPanic(ctx, held)
			resp = internalError()
		}
	}()
	rt, bad := route(req)
	switch {
	case bad != nil:
		return *bad
	case rt == routeRun:
		return h.runStatus(ctx, req)
	}
	params, bad := h.startParams(rt, req)
	if bad != nil {
		return *bad
	}
	key, bad := idempotencyKey(req)
	if bad != nil {
		return *bad
	}
	now := h.now()
	st := State{RunID: NewRunID(now), Next: h.URL, MaxPages: params.MaxPages, Force: params.Force, Started: now,
		TraceHeader: validHeader(h.Scraper.Tracer.Header(ctx))}
	if key != "" {
		if r, claimed := h.claim(ctx, req, KeyClaim{Key: key, RunID: st.RunID, Request: rt + " " + params.String()}); !claimed {
			return r
		}
	}
	if r, started := h.acquire(ctx, req, st.RunID, now); !started {
		h.unclaim(ctx, key, st.RunID)
		return r
	}
	held = &st
	h.saveRun(ctx, st, Report{RunID: st.RunID, TraceID: h.traceID(ctx)})
	rep, next := h.Scraper.Run(ctx, st, now.Add(h.SyncBudget))
	rep.TraceID = h.traceID(ctx)
	h.handOn(ctx, st, &rep, next)
	held = nil // handed on or ended: a panic from here on is not the run's end
	h.done(ctx, st.Totals, rep)
	status := http.StatusOK
	switch rep.Status {
	case RunContinuing:
		status = http.StatusAccepted
	case RunFailed:
		status = http.StatusBadGateway
	}
	body, _ := json.Marshal(rep)
	return events.APIGatewayProxyResponse{StatusCode: status, Body: string(body),
		Headers: map[string]string{"Content-Type": "application/json", "Location": location(req, st.RunID)}}
}

// The routes.
const (
	routeStart    = "POST /scrapes"
	routeWorkshop = "GET /scrap_movies"
	routeRun      = "GET /scrapes/{runId}"
)

// route names a request's route, or the problem to answer instead.
func route(req events.APIGatewayProxyRequest) (string, *events.APIGatewayProxyResponse) {
	fail := func(r events.APIGatewayProxyResponse) (string, *events.APIGatewayProxyResponse) { return "", &r }
	res := req.Resource
	if res == "" {
		res = req.Path[max(strings.LastIndexByte(req.Path, '/'), 0):]
	}
	if res == "" || req.HTTPMethod == "" {
		return fail(problem(http.StatusBadRequest, CodeMalformedEvent, "The event names no resource, path or method."))
	}
	var allow, rt string
	switch {
	case strings.HasSuffix(res, "/scrapes/{runId}"):
		allow, rt = http.MethodGet, routeRun
	case strings.HasSuffix(res, "/scrapes"):
		allow, rt = http.MethodPost, routeStart
	case strings.HasSuffix(res, "/scrap_movies"):
		allow, rt = http.MethodGet, routeWorkshop
	default:
		return fail(problem(http.StatusNotFound, CodeNoRoute, "Start a scrape with POST /scrapes."))
	}
	if req.HTTPMethod != allow {
		p := problem(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "Use POST /scrapes to start a scrape, GET /scrapes/{runId} to follow it (or GET /scrap_movies).")
		p.Headers["Allow"] = allow
		return fail(p)
	}
	return rt, nil
}

// start is what a start request asks for.
type start struct {
	MaxPages int
	Force    bool // publish every page, changed or not
}

// String is the request's parameters, as an Idempotency-Key remembers them.
func (p start) String() string {
	return "maxPages=" + strconv.Itoa(p.MaxPages) + " force=" + strconv.FormatBool(p.Force)
}

// startParams reads a start request's parameters, or the problem to answer
// instead: POST /scrapes's optional body {"maxPages": n, "force": bool},
// GET /scrap_movies's query ?maxPages=n&force=true.
func (h *Handler) startParams(rt string, req events.APIGatewayProxyRequest) (start, *events.APIGatewayProxyResponse) {
	fail := func(r events.APIGatewayProxyResponse) (start, *events.APIGatewayProxyResponse) { return start{}, &r }
	p := start{MaxPages: h.MaxPages}
	switch rt {
	case routeStart:
		var body struct {
			MaxPages *int `json:"maxPages"`
			Force    bool `json:"force"`
		}
		if strings.TrimSpace(req.Body) != "" {
			d := json.NewDecoder(strings.NewReader(req.Body))
			d.DisallowUnknownFields()
			if err := d.Decode(&body); err != nil {
				return fail(problem(http.StatusBadRequest, CodeInvalidBody, `The body is optional; when present it is {"maxPages": n, "force": true|false}.`))
			}
		}
		if body.MaxPages != nil {
			p.MaxPages = *body.MaxPages
		}
		p.Force = body.Force
	case routeWorkshop:
		q := req.QueryStringParameters
		if v, ok := q["maxPages"]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fail(problem(http.StatusBadRequest, CodeInvalidMaxPages, "maxPages is a whole number."))
			}
			p.MaxPages = n
		}
		if v, ok := q["force"]; ok {
			f, err := strconv.ParseBool(v)
			if err != nil {
				return fail(problem(http.StatusBadRequest, CodeInvalidBody, "force is true or false."))
			}
			p.Force = f
		}
	}
	if p.MaxPages < 1 || p.MaxPages > 10000 {
		return fail(problem(http.StatusBadRequest, CodeInvalidMaxPages, "maxPages is from 1 to 10000."))
	}
	return p, nil
}

// Continue carries a run on in an asynchronous invocation, and hands it on
// again if it still cannot finish before this invocation's deadline.
// A panic is recovered and logged, the run saved as failed and its lease
// released.
func (h *Handler) Continue(ctx context.Context, st State) {
	handed := false // handed on or ended: a panic from there on is not the run's end
	defer func() {
		if h.recovered(ctx, recover()) && !handed {
			h.endAfterPanic(ctx, &st)
		}
	}()
	ctx, end := h.Scraper.Tracer.Resume(ctx, st.TraceHeader, st.RunID)
	defer end(nil)
	begun := openReport(st)
	begun.Status, begun.TraceID = RunContinuing, h.traceID(ctx)
	if err := h.Runs.Begin(ctx, newRunRecord(st, begun, h.now())); errors.Is(err, ErrHopBegun) {
		// Lambda may deliver an asynchronous event twice: one copy goes on.
		h.log().WarnContext(ctx, "a continuation the run has begun already: this copy of the event is dropped", "runId", st.RunID, "hop", st.Hop)
		return
	} else if err != nil {
		h.log().WarnContext(ctx, "the run's status was not saved", "runId", st.RunID, "error", err)
	}
	if err := h.Lease.Renew(ctx, st.RunID, h.now().Add(leaseFor)); err != nil {
		// Lost (it expired and another run took it), or unreadable: either
		// way this run cannot go on without risking two at once.
		h.log().ErrorContext(ctx, "the run stops: its lease could not be renewed", "runId", st.RunID, "error", err)
		begun.Status, begun.ErrorCode = RunFailed, ErrorLeaseLost
		begun.Errors = append(begun.Errors, "the run's lease could not be renewed: another run may hold it")
		h.saveRun(ctx, st, begun)
		return
	}
	until := h.now().Add(15 * time.Minute)
	if dl, ok := ctx.Deadline(); ok {
		until = dl.Add(-h.AsyncMargin)
	}
	rep, next := h.Scraper.Run(ctx, st, until)
	rep.TraceID = h.traceID(ctx)
	h.handOn(ctx, st, &rep, next)
	handed = true
	h.done(ctx, st.Totals, rep)
}

// acquire takes the lease for a new run; when it cannot, it returns the
// answer: 409 naming the running run, or 503 when the lease is unreadable.
func (h *Handler) acquire(ctx context.Context, req events.APIGatewayProxyRequest, run string, now time.Time) (events.APIGatewayProxyResponse, bool) {
	err := h.Lease.Acquire(ctx, run, now.Add(leaseFor))
	var busy *BusyError
	switch {
	case err == nil:
		return events.APIGatewayProxyResponse{}, true
	case errors.As(err, &busy):
		r := problemWith(http.StatusConflict, CodeRunInProgress, "A scrape is running: "+busy.Run+". One runs at a time; follow it, or try again when it ends.",
			map[string]any{"runId": busy.Run})
		if runIDPattern.MatchString(busy.Run) { // its status, to follow it
			r.Headers["Location"] = location(req, busy.Run)
		}
		r.Headers["Retry-After"] = "30"
		return r, false
	}
	h.log().ErrorContext(ctx, "cannot take the scrape lease", "runId", run, "error", err)
	return unavailable("The scrape could not start; try again shortly."), false
}

// handOn continues an unfinished run asynchronously, or frees the lease of
// a run that is over. The run's status is saved first: a continuation's
// own status, saved after it starts, is never overwritten by this one.
func (h *Handler) handOn(ctx context.Context, st State, rep *Report, next *State) {
	if next != nil {
		h.saveRun(ctx, st, *rep)
		// The lease runs from now: the next invocation may start late (an
		// asynchronous event waits out throttling for minutes).
		if err := h.Lease.Renew(ctx, rep.RunID, h.now().Add(leaseFor)); err != nil {
			h.log().WarnContext(ctx, "the run's lease was not renewed before its hand-over", "runId", rep.RunID, "error", err)
		}
		err := h.Invoker.Continue(ctx, Continuation{*next})
		if err == nil {
			return
		}
		h.log().ErrorContext(ctx, "cannot continue the run", "runId", rep.RunID, "error", err)
		rep.Continues = false
		rep.Status, rep.ErrorCode = RunFailed, ErrorContinuationFailed
		rep.Errors = append(rep.Errors, "the run could not continue asynchronously")
	}
	h.saveRun(ctx, st, *rep)
	if err := h.Lease.Release(ctx, rep.RunID); err != nil {
		h.log().WarnContext(ctx, "the run's lease was not released; it expires on its own", "runId", rep.RunID, "error", err)
	}
}

// done logs the run's report so far and emits this invocation's metrics:
// the counts it added to before (the run's totals at its start), so that a
// run's invocations sum to the run.
func (h *Handler) done(ctx context.Context, before Report, rep Report) {
	h.log().InfoContext(ctx, "run report", "runId", rep.RunID, "traceId", rep.TraceID, "status", rep.Status,
		"pages", rep.PagesFetched, "pagesUnchanged", rep.PagesUnchanged, "parsed", rep.MoviesParsed, "published", rep.RecordsPublished,
		"rejected", rep.RecordsRejected, "publishFailures", rep.PublishFailures, "errors", rep.Errors, "durationMs", rep.DurationMs)
	if h.Metrics != nil {
		own := rep
		own.PagesFetched -= before.PagesFetched
		own.PagesUnchanged -= before.PagesUnchanged
		own.MoviesParsed -= before.MoviesParsed
		own.RecordsPublished -= before.RecordsPublished
		own.RecordsRejected -= before.RecordsRejected
		own.PublishFailures -= before.PublishFailures
		h.Metrics(own)
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
