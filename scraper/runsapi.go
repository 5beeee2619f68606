package scraper

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// keyLifetime is how long an Idempotency-Key names the run it started.
const keyLifetime = 24 * time.Hour

// runIDPattern is what NewRunID makes.
var runIDPattern = regexp.MustCompile(`^run-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)

// runStatus answers GET /scrapes/{runId}: the run's run.v1 status.
func (h *Handler) runStatus(ctx context.Context, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	id := req.PathParameters["runId"]
	if !runIDPattern.MatchString(id) {
		return problem(http.StatusBadRequest, CodeInvalidRunID, "A run id is what POST /scrapes answered: run-<UTC start>-<8 hex digits>.")
	}
	r, err := h.Runs.Load(ctx, id)
	switch {
	case errors.Is(err, ErrNoRun):
		return problem(http.StatusNotFound, CodeNoRun, "No run "+id+" is kept: statuses are kept for 30 days.")
	case err != nil:
		h.log().ErrorContext(ctx, "cannot read the run's status", "runId", id, "error", err)
		return unavailable("The run's status could not be read; try again shortly.")
	}
	return runAnswer(http.StatusOK, r.asOf(h.now()), req, nil)
}

// claim ties the request's Idempotency-Key to the run it would start. When
// the key names a run already, the answer is that run's status (the same
// request again), 422 (another request with the same key) or 409 (the
// first request has not started its run yet); claimed is then false.
func (h *Handler) claim(ctx context.Context, req events.APIGatewayProxyRequest, c KeyClaim) (events.APIGatewayProxyResponse, bool) {
	err := h.Runs.Claim(ctx, c, h.now().Add(keyLifetime))
	used, isUsed := errors.AsType[*KeyUsedError](err)
	switch {
	case err == nil:
		return events.APIGatewayProxyResponse{}, true
	case !isUsed:
		h.log().ErrorContext(ctx, "cannot claim the idempotency key", "runId", c.RunID, "error", err)
		return unavailable("The scrape could not start; try again shortly."), false
	case used.Claim.Request != c.Request:
		return problemWith(http.StatusUnprocessableEntity, CodeIdempotencyKeyReused,
			"This Idempotency-Key started run "+used.Claim.RunID+" with other parameters; use a new key for a new request.",
			map[string]any{"runId": used.Claim.RunID}), false
	}
	r, err := h.Runs.Load(ctx, used.Claim.RunID)
	switch {
	case errors.Is(err, ErrNoRun):
		p := problemWith(http.StatusConflict, CodeRequestInProgress, "The first request with this Idempotency-Key is still starting its run; try again shortly.",
			map[string]any{"runId": used.Claim.RunID})
		p.Headers["Retry-After"] = "1"
		return p, false
	case err != nil:
		h.log().ErrorContext(ctx, "cannot read the run's status", "runId", used.Claim.RunID, "error", err)
		return unavailable("The scrape's status could not be read; try again shortly."), false
	}
	r = r.asOf(h.now())
	status := http.StatusOK
	if !r.State.Ended() {
		status = http.StatusAccepted
	}
	return runAnswer(status, r, req, map[string]string{"Idempotent-Replayed": "true"}), false
}

// unclaim frees the key of a request that did not start its run, so that
// the client's retry can.
func (h *Handler) unclaim(ctx context.Context, key, run string) {
	if key == "" {
		return
	}
	if err := h.Runs.Unclaim(ctx, key, run); err != nil {
		h.log().WarnContext(ctx, "the idempotency key was not freed; a retry with it answers 409 until it expires", "runId", run, "error", err)
	}
}

// idempotencyKey is the request's Idempotency-Key header: "" when there is
// none, or the problem to answer when it is not 1 to 255 visible ASCII
// characters (spaces inside allowed).
func idempotencyKey(req events.APIGatewayProxyRequest) (string, *events.APIGatewayProxyResponse) {
	var values []string
	for k, v := range req.MultiValueHeaders {
		if strings.EqualFold(k, "Idempotency-Key") {
			values = append(values, v...)
		}
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, "Idempotency-Key") && len(values) == 0 {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return "", nil
	}
	key := strings.TrimSpace(values[0])
	ok := len(values) == 1 && key != "" && len(key) <= 255
	for _, c := range []byte(key) {
		ok = ok && c >= 0x20 && c < 0x7f
	}
	if !ok {
		p := problem(http.StatusBadRequest, CodeInvalidIdempotencyKey, "Idempotency-Key is one value of 1 to 255 visible ASCII characters.")
		return "", &p
	}
	return key, nil
}

// location is the path of a run's status, under the stage the request
// came through (API Gateway's requestContext.path includes it).
func location(req events.APIGatewayProxyRequest, runID string) string {
	p := req.RequestContext.Path
	if p == "" {
		p = req.Path
	}
	for _, route := range []string{"/scrapes/", "/scrapes", "/scrap_movies"} {
		if i := strings.LastIndex(p, route); i >= 0 {
			return p[:i] + "/scrapes/" + runID
		}
	}
	return "/scrapes/" + runID
}

// runAnswer is a run.v1 status as the API answers it.
func runAnswer(status int, r RunRecord, req events.APIGatewayProxyRequest, extra map[string]string) events.APIGatewayProxyResponse {
	body, _ := json.Marshal(r)
	headers := map[string]string{"Content-Type": "application/json", "Location": location(req, r.RunID)}
	for k, v := range extra {
		headers[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: headers, Body: string(body)}
}

// unavailable is a 503 with Retry-After.
func unavailable(detail string) events.APIGatewayProxyResponse {
	r := problem(http.StatusServiceUnavailable, CodeUnavailable, detail)
	r.Headers["Retry-After"] = "5"
	return r
}
