package lambda

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// runtimeAPI serves the Lambda Runtime API of one environment
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
func (e *env) runtimeAPI() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	return mux
}

func (e *env) handleNext(w http.ResponseWriter, r *http.Request) {
	e.askOnce.Do(func() { e.firstAsk = time.Now(); close(e.asked) })
	e.setLastID("") // the runtime is done with what it had
	var inv *invocation
	select {
	case inv = <-e.next:
	case <-r.Context().Done():
		return
	}
	e.mu.Lock()
	e.current, e.lastID, inv.delivered = inv, inv.id, true
	e.mu.Unlock()
	e.logStart(inv.id)
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", e.cfg.ARN)
	h.Set("Lambda-Runtime-Trace-Id", inv.trace)
	if inv.clientContext != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.clientContext)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

// take returns the invocation in progress that the request names, or
// answers 400.
func (e *env) take(w http.ResponseWriter, r *http.Request) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv := e.current
	if inv == nil || inv.id != r.PathValue("id") {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress has this id")
		return nil
	}
	e.current = nil
	return inv
}

// responseTooLarge is the answer to an invocation whose response or error
// was over MaxResponse.
func responseTooLarge(size int) Result {
	return failure("Function.ResponseSizeTooLarge",
		fmt.Sprintf("Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes).", size, MaxResponse))
}

// handleResponse takes an invocation's response. One larger than
// MaxResponse fails the invocation with Function.ResponseSizeTooLarge, and
// the runtime is answered 413 RequestEntityTooLarge, as the runtime
// interface emulator does (rapi/rendering.RenderRequestEntityTooLarge).
func (e *env) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := e.take(w, r)
	if inv == nil {
		return
	}
	body, size := readUpTo(r.Body, MaxResponse)
	if size > MaxResponse {
		inv.result <- responseTooLarge(size)
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", MaxResponse))
		return
	}
	inv.result <- Result{Payload: body}
	accepted(w)
}

// handleError takes an invocation's error: its body is the answer, with
// X-Amz-Function-Error Unhandled; a body that is not JSON is wrapped with
// the Lambda-Runtime-Function-Error-Type header's type.
func (e *env) handleError(w http.ResponseWriter, r *http.Request) {
	inv := e.take(w, r)
	if inv == nil {
		return
	}
	body, size := readUpTo(r.Body, MaxResponse)
	typ := errorType(r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	switch {
	case size > MaxResponse:
		body = responseTooLarge(size).Payload
	case !json.Valid(body):
		body = mustJSON(map[string]string{"errorType": typ, "errorMessage": string(body)})
	}
	inv.result <- Result{Payload: body, FunctionError: "Unhandled"}
	accepted(w)
}

// handleInitError takes a runtime's init error: the invocation waiting for
// the environment fails with the posted error type, and Lambda resets the
// environment (its exit is no crash), logging
// "INIT_REPORT Init Duration: … ms\tPhase: init\tStatus: error\tError Type: …".
func (e *env) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := readUpTo(r.Body, MaxResponse)
	typ := errorType(r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	e.mu.Lock()
	first := e.initErr.typ == ""
	if first {
		e.initErr, e.stopping = initError{typ: typ, body: body}, true
	}
	e.mu.Unlock()
	if !first {
		runtimeError(w, http.StatusForbidden, "InvalidStateTransition", "the runtime already reported an init error")
		return
	}
	e.logInitError(time.Since(e.started), typ)
	close(e.initFailed)
	accepted(w)
}

// validErrorType is the form of the error types Lambda keeps as the runtime
// posts them (the runtime interface emulator's
// fatalerror.GetValidRuntimeOrFunctionErrorType).
var validErrorType = regexp.MustCompile(`(Runtime|Function)\.[A-Z][a-zA-Z]+`)

// errorType is the error type Lambda reports for the one a runtime posted
// in Lambda-Runtime-Function-Error-Type: as posted if it has the form
// Runtime.Xxx or Function.Xxx, else Function.Unknown or Runtime.Unknown.
func errorType(posted string) string {
	switch {
	case validErrorType.MatchString(posted):
		return posted
	case strings.HasPrefix(posted, "Function."):
		return "Function.Unknown"
	default:
		return "Runtime.Unknown"
	}
}

// readUpTo reads at most limit+1 bytes of body and returns them with the
// body's whole size (the rest is read and dropped).
func readUpTo(body io.Reader, limit int) ([]byte, int) {
	b, _ := io.ReadAll(io.LimitReader(body, int64(limit)+1))
	rest, _ := io.Copy(io.Discard, body)
	return b, len(b) + int(rest)
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]string{"errorType": typ, "errorMessage": msg}))
}
