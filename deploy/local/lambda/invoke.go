package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// Service serves the Lambda Invoke API on loopback for the local functions:
// RequestResponse (the outcome in the answer), Event (202 at once; run from
// a queue, retried twice on error as Lambda's asynchronous invocation does),
// and DryRun.
type Service struct {
	mu    sync.Mutex
	hosts map[string]*Host
	// RetryDelays are the waits before the asynchronous retries [1m, 2m].
	RetryDelays []time.Duration
	// AsyncRetries returns a function's maximumRetryAttempts [2].
	AsyncRetries func(name string) int
	// Verify checks a request's SigV4 signature as Lambda does, before
	// anything else; nil checks nothing (tests of the API alone).
	Verify func(r *http.Request, body []byte) *sigv4.Failure
	Log    *slog.Logger

	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// NewService returns an Invoke API over hosts.
func NewService(hosts []*Host, log *slog.Logger) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{hosts: map[string]*Host{}, RetryDelays: []time.Duration{time.Minute, 2 * time.Minute}, Log: log, ctx: ctx, cancel: cancel}
	for _, h := range hosts {
		s.hosts[h.Name()] = h
	}
	return s
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
	const prefix = "/2015-03-31/functions/"
	payload, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequestContentException", "could not read the request body")
		return
	}
	if s.Verify != nil {
		if f := s.Verify(r, payload); f != nil {
			sigv4.WriteLambda(w, f)
			return
		}
	}
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, "/invocations") {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "unknown operation "+r.Method+" "+r.URL.Path)
		return
	}
	name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), "/invocations")
	h, ok := s.Host(name)
	if !ok {
		apiError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	if len(payload) > 6<<20 {
		apiError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
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
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
		res, err := h.Invoke(r.Context(), payload, trace, false)
		if errors.Is(err, ErrThrottled) {
			apiError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "ServiceException", err.Error())
			return
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amzn-Requestid", res.RequestID)
		if res.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", res.FunctionError)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Payload)
	case "Event":
		s.enqueue(h, payload, trace)
		w.Header().Set("X-Amzn-Requestid", newRequestID())
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	default:
		apiError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+typ)
	}
}

// enqueue runs an asynchronous invocation: it waits for a free environment
// and retries a failure after RetryDelays, up to the function's retries.
func (s *Service) enqueue(h *Host, payload []byte, trace string) {
	retries := 2
	if s.AsyncRetries != nil {
		retries = s.AsyncRetries(h.Name())
	}
	s.wg.Go(func() {
		for attempt := 0; ; attempt++ {
			res, err := h.Invoke(s.ctx, payload, trace, true)
			if err == nil && res.FunctionError == "" {
				return
			}
			if s.Log != nil {
				s.Log.Warn("asynchronous invocation failed", "function", h.Name(), "attempt", attempt+1, "error", err, "function_error", string(res.Payload))
			}
			if attempt >= retries || attempt >= len(s.RetryDelays) {
				return
			}
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.RetryDelays[attempt]):
			}
		}
	})
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]string{"Type": "User", "message": msg}))
}
