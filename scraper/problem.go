package scraper

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/events"
)

// ProblemCode names a problem answer for clients to act on; it is stable,
// unlike the detail text. Each problem+json answer carries it as "code" and
// in its "type" URL.
type ProblemCode string

// The problems the API answers.
const (
	CodeMalformedEvent   ProblemCode = "malformed-event"    // 400: not an API Gateway proxy request
	CodeInvalidBody      ProblemCode = "invalid-body"       // 400
	CodeInvalidMaxPages  ProblemCode = "invalid-max-pages"  // 400
	CodeNoRoute          ProblemCode = "no-route"           // 404
	CodeMethodNotAllowed ProblemCode = "method-not-allowed" // 405
	CodeRunInProgress    ProblemCode = "run-in-progress"    // 409, with the running runId
	CodeInvalidRunID     ProblemCode = "invalid-run-id"     // 400
	CodeNoRun            ProblemCode = "no-run"             // 404
	// CodeInvalidIdempotencyKey is an Idempotency-Key header that is not
	// 1 to 255 visible ASCII characters: 400.
	CodeInvalidIdempotencyKey ProblemCode = "invalid-idempotency-key"
	// CodeIdempotencyKeyReused is a key that started a run with other
	// parameters: 422, with that runId.
	CodeIdempotencyKeyReused ProblemCode = "idempotency-key-reused"
	// CodeRequestInProgress is a key whose first request has not started
	// its run yet: 409 with Retry-After and the runId.
	CodeRequestInProgress ProblemCode = "request-in-progress"
	CodeUnavailable       ProblemCode = "unavailable" // 503, with Retry-After
	CodeInternal          ProblemCode = "internal"    // 500: a panic, recovered
)

// ProblemTypeBase prefixes every problem type.
const ProblemTypeBase = "https://moviepipe.dev/problems/"

func problem(status int, code ProblemCode, detail string) events.APIGatewayProxyResponse {
	return problemWith(status, code, detail, nil)
}

// problemWith is an RFC 9457 problem+json answer with extension members.
func problemWith(status int, code ProblemCode, detail string, extra map[string]any) events.APIGatewayProxyResponse {
	doc := map[string]any{
		"type": ProblemTypeBase + string(code), "code": code,
		"title": http.StatusText(status), "status": status, "detail": detail,
	}
	for k, v := range extra {
		doc[k] = v
	}
	body, _ := json.Marshal(doc)
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/problem+json"}, Body: string(body)}
}

// internalError is the answer to a panic: no internal text.
func internalError() events.APIGatewayProxyResponse {
	return problem(http.StatusInternalServerError, CodeInternal, "The scrape could not be answered. Try again later.")
}

// recovered logs a recovered panic value with its stack; it reports whether
// there was one. Call it as `if h.recovered(ctx, recover()) {…}` in a
// deferred function.
func (h *Handler) recovered(ctx context.Context, v any) bool {
	if v == nil {
		return false
	}
	h.log().ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	return true
}

// endAfterPanic saves the status of a run a panic ended, as failed, and
// frees its lease, so that the next request need not wait for it to expire;
// a save or release that fails (or panics) leaves the lease to expire and
// the status to read as abandoned.
func (h *Handler) endAfterPanic(ctx context.Context, st *State) {
	if st == nil {
		return
	}
	defer func() { h.recovered(ctx, recover()) }()
	rep := openReport(*st)
	rep.Status, rep.ErrorCode = RunFailed, ErrorInternal
	rep.Errors = append(rep.Errors, "the run stopped on an internal error")
	h.saveRun(ctx, *st, rep)
	if err := h.Lease.Release(ctx, st.RunID); err != nil {
		h.log().WarnContext(ctx, "the run's lease was not released; it expires on its own", "runId", st.RunID, "error", err)
	}
}
