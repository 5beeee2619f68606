package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// Service serves the Lambda Invoke API on loopback for the local functions
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
// RequestResponse (the outcome in the answer, LogType Tail, the client
// context passed on), Event (202 at once; run from a queue that retries
// function errors twice and throttles until the event is too old, as
// Lambda's asynchronous invocation does), and DryRun; AWS's payload limits
// and 413s; a throttled synchronous invocation answered 429
// TooManyRequestsException with its Reason.
type Service struct {
	mu    sync.Mutex
	hosts map[string]*Host
	// RetryDelays are the waits before an asynchronous event's retries
	// after function errors [1m, 2m].
	RetryDelays []time.Duration
	// Async returns a function's asynchronous invocation settings
	// [DefaultAsync].
	Async func(name string) AsyncConfig
	// Verify checks a request's SigV4 signature as Lambda does, before
	// anything else; nil checks nothing (tests of the API alone).
	Verify func(r *http.Request, body []byte) *sigv4.Failure
	// Control answers what is not an invocation, Lambda's control plane
	// (NewControl); nil refuses it as not emulated.
	Control http.Handler
	Log     *slog.Logger
	// Now and After are the asynchronous queue's clock [time.Now,
	// time.After]: tests read the retry schedule without waiting it out.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time

	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// NewService returns an Invoke API over hosts.
func NewService(hosts []*Host, log *slog.Logger) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{hosts: map[string]*Host{}, RetryDelays: []time.Duration{time.Minute, 2 * time.Minute}, Log: log,
		Now: time.Now, After: time.After, ctx: ctx, cancel: cancel}
	for _, h := range hosts {
		s.hosts[h.Name()] = h
	}
	return s
}

// SetHost serves h under its function's name, in place of the host it had
// (a function created or updated by a deploy).
func (s *Service) SetHost(h *Host) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts[h.Name()] = h
}

// RemoveHost stops serving a function (deleted by a deploy): its name is
// then unknown, as Lambda answers a deleted function.
func (s *Service) RemoveHost(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.hosts, name)
}

// Host returns the host of a function name or ARN.
func (s *Service) Host(nameOrARN string) (*Host, bool) {
	name := nameOrARN
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) >= 7 {
			name = parts[6]
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hosts[name]
	return h, ok
}

// Close stops taking events and waits for the queued ones to end.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// A request over the synchronous limit is refused before anything else.
	payload, size := readUpTo(r.Body, MaxSyncPayload)
	if size > MaxSyncPayload {
		tooLarge(w, &RequestTooLargeError{Size: size})
		return
	}
	if s.Verify != nil {
		if f := s.Verify(r, payload); f != nil {
			sigv4.WriteLambda(w, f)
			return
		}
	}
	if !isInvocation(r) {
		s.control(w, r, payload)
		return
	}
	h, ok := s.route(w, r)
	if !ok {
		return
	}
	typ := r.Header.Get("X-Amz-Invocation-Type")
	if typ == "Event" && len(payload) > MaxAsyncPayload {
		tooLarge(w, &RequestTooLargeError{Size: len(payload), Async: true})
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	trace := r.Header.Get("X-Amzn-Trace-Id")
	switch typ {
	case "", "RequestResponse":
		s.invokeSync(w, r, h, Request{Payload: payload, TraceHeader: trace})
	case "Event":
		req := Request{Payload: payload, TraceHeader: trace, ID: newRequestID()}
		s.enqueue(h, req)
		w.Header().Set("X-Amzn-Requestid", req.ID)
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		w.Header().Set("X-Amzn-Requestid", newRequestID())
		w.WriteHeader(http.StatusNoContent)
	default:
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+typ)
	}
}

// route finds the function of POST /2015-03-31/functions/{name}/invocations.
func (s *Service) route(w http.ResponseWriter, r *http.Request) (*Host, bool) {
	const prefix = "/2015-03-31/functions/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, "/invocations") {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "unknown operation "+r.Method+" "+r.URL.Path)
		return nil, false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), "/invocations")
	h, ok := s.Host(name)
	if !ok {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
	}
	return h, ok
}

// invokeSync runs a RequestResponse invocation and writes its outcome.
func (s *Service) invokeSync(w http.ResponseWriter, r *http.Request, h *Host, req Request) {
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		raw, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(raw) {
			apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.")
			return
		}
		req.ClientContext = string(raw)
	}
	res, err := h.Run(r.Context(), req)
	var throttled *ThrottleError
	if errors.As(err, &throttled) {
		throttle(w, throttled)
		return
	}
	if err != nil {
		apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	hd := w.Header()
	hd.Set("X-Amz-Executed-Version", "$LATEST")
	hd.Set("X-Amzn-Requestid", res.RequestID)
	if res.FunctionError != "" {
		hd.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		hd.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.LogTail))
	}
	hd.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

// throttle answers a throttled invocation as Lambda does: 429
// TooManyRequestsException {"Reason": …, "Type": "User", "message":
// "Rate Exceeded."}.
func throttle(w http.ResponseWriter, e *ThrottleError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(mustJSON(map[string]string{"Reason": e.Reason, "Type": "User", "message": "Rate Exceeded."}))
}

// tooLarge answers a request over a limit: 413 RequestEntityTooLargeException.
func tooLarge(w http.ResponseWriter, e *RequestTooLargeError) {
	apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", e.Error())
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]string{"Type": "User", "message": msg}))
}
