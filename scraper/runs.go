package scraper

import (
	"context"
	"errors"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
)

// Runs keeps each run's status, which GET /scrapes/{runId} answers, and the
// Idempotency-Key of the request that started a run, so that a client's
// retry gets the run it started instead of a second scrape.
type Runs interface {
	// Save writes a run's status over the one saved before, unless that
	// one has ended (succeeded or failed: an ended run's status is final)
	// or was written by a later invocation of the run (a later Hop).
	Save(ctx context.Context, r RunRecord) error
	// Begin saves the status of an invocation that begins hop r.Hop of a
	// continuing run: ErrHopBegun when that hop or a later one has begun
	// already, or the run has ended (the event was delivered twice).
	Begin(ctx context.Context, r RunRecord) error
	// Load reads a run's status; ErrNoRun when none is kept.
	Load(ctx context.Context, runID string) (RunRecord, error)
	// Claim ties key to run until until. When a live claim ties key to a
	// run already, the error is a *KeyUsedError naming it.
	Claim(ctx context.Context, key KeyClaim, until time.Time) error
	// Unclaim frees key, if run holds it: the request that claimed it did
	// not start its run.
	Unclaim(ctx context.Context, key, run string) error
}

// KeyClaim is an Idempotency-Key tied to the run its request started, and
// the request's parameters (a repeat must ask for the same thing).
type KeyClaim struct {
	Key     string
	RunID   string
	Request string
}

// KeyUsedError is an Idempotency-Key a live claim already ties to a run.
type KeyUsedError struct{ Claim KeyClaim }

func (e *KeyUsedError) Error() string { return "the idempotency key is tied to " + e.Claim.RunID }

// ErrHopBegun is an invocation of a hop of a run that another invocation
// has begun already.
var ErrHopBegun = errors.New("this hop of the run has begun already")

// ErrNoRun is a run whose status is not kept: never started here, or older
// than the runs table keeps statuses.
var ErrNoRun = errors.New("no such run")

// RunState is a run's state in run.v1.
type RunState string

// The run.v1 states.
const (
	StateRunning   RunState = "running"   // in the invocation that answered POST /scrapes
	StateContinued RunState = "continued" // handed on to an asynchronous invocation
	StateSucceeded RunState = "succeeded"
	StateFailed    RunState = "failed"
)

// Ended reports whether a run in state s is over.
func (s RunState) Ended() bool { return s == StateSucceeded || s == StateFailed }

// Why a run failed, in run.v1's errorCode.
const (
	ErrorNoPages            = "no_pages"
	ErrorContinuationFailed = "continuation_failed"
	ErrorLeaseLost          = "lease_lost"
	ErrorInternal           = "internal"
	ErrorAbandoned          = "abandoned"
)

// RunRecord is a run's status: a run.v1 document, as the runs table keeps it.
type RunRecord struct {
	Schema     string     `json:"schema" dynamodbav:"schema"`
	RunID      string     `json:"runId" dynamodbav:"runId"`
	State      RunState   `json:"state" dynamodbav:"state"`
	MaxPages   int        `json:"maxPages" dynamodbav:"maxPages"`
	Pages      int        `json:"pages" dynamodbav:"pages"`
	Unchanged  int        `json:"pagesUnchanged" dynamodbav:"pagesUnchanged"`
	Published  int        `json:"published" dynamodbav:"published"`
	Rejected   int        `json:"rejected" dynamodbav:"rejected"`
	Parked     int        `json:"parked" dynamodbav:"parked"`
	StartedAt  time.Time  `json:"startedAt" dynamodbav:"startedAt"`
	UpdatedAt  time.Time  `json:"updatedAt" dynamodbav:"updatedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty" dynamodbav:"finishedAt,omitempty"`
	TraceID    string     `json:"traceId,omitempty" dynamodbav:"traceId,omitempty"`
	ErrorCode  string     `json:"errorCode,omitempty" dynamodbav:"errorCode,omitempty"`
	Errors     []string   `json:"errors" dynamodbav:"errors"`
	// Hop counts the invocations that handed the run on before the one
	// that wrote this status (not in run.v1).
	Hop int `json:"-" dynamodbav:"hop"`
}

// run.v1's bounds on errors: items, and bytes an item keeps (maxLength
// counts characters; a byte is never more).
const (
	maxRunErrors = 50
	maxRunError  = 1024
)

// newRunRecord is a run's status from its state and report at now.
func newRunRecord(st State, rep Report, now time.Time) RunRecord {
	r := RunRecord{Schema: string(contracts.RunV1), RunID: st.RunID, State: StateRunning, MaxPages: st.MaxPages,
		Pages: rep.PagesFetched, Unchanged: rep.PagesUnchanged, Published: rep.RecordsPublished, Rejected: rep.RecordsRejected,
		Parked: rep.RecordsRejected + rep.PublishFailures, StartedAt: st.Started.UTC(), UpdatedAt: now.UTC(),
		TraceID: rep.TraceID, Errors: make([]string, 0, min(len(rep.Errors), maxRunErrors)), Hop: st.Hop}
	for _, e := range rep.Errors[:min(len(rep.Errors), maxRunErrors)] {
		r.Errors = append(r.Errors, contracts.Clip(e, maxRunError))
	}
	switch rep.Status {
	case RunContinuing:
		r.State = StateContinued
	case RunCompleted:
		r.State = StateSucceeded
	case RunFailed:
		r.State, r.ErrorCode = StateFailed, rep.ErrorCode
	}
	if r.State.Ended() {
		end := now.UTC()
		r.FinishedAt = &end
	}
	return r
}

// asOf is the status as a client should read it at now: a run whose status
// no invocation wrote for longer than a run's lease is over, abandoned (its
// function timed out or crashed), even if no invocation could say so.
func (r RunRecord) asOf(now time.Time) RunRecord {
	if r.State.Ended() || now.Sub(r.UpdatedAt) <= leaseFor {
		return r
	}
	end := r.UpdatedAt.Add(leaseFor).UTC()
	r.State, r.ErrorCode, r.FinishedAt = StateFailed, ErrorAbandoned, &end
	return r
}

// saveRun writes a run's status; a failure is logged, not the run's end:
// the run goes on without a status rather than not at all.
func (h *Handler) saveRun(ctx context.Context, st State, rep Report) {
	if err := h.Runs.Save(ctx, newRunRecord(st, rep, h.now())); err != nil {
		h.log().WarnContext(ctx, "the run's status was not saved", "runId", st.RunID, "state", rep.Status, "error", err)
	}
}
