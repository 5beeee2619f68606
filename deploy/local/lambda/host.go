// Package lambda runs a function's real bootstrap binary as child processes
// behind the local cloud's own implementation of the Lambda Runtime API, one
// process per execution environment, as Lambda does: request id, deadline,
// function ARN, trace id and client context headers; 202 answers; init
// errors with the type the runtime posted; responses over 6 MB refused; a
// timeout kills and replaces the environment; a crash fails the invocation
// with Runtime.ExitError and is logged as Lambda logs it; START, END and
// REPORT lines; concurrency within the function's reserved concurrency or
// the account's unreserved pool, beyond which an invocation is throttled;
// logs prefixed by the function's name. Service serves the Invoke API.
package lambda

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Config describes one function.
type Config struct {
	Name     string
	ARN      string
	Binary   string // the bootstrap
	Env      map[string]string
	Timeout  time.Duration
	MemoryMB int
	// Reserved is the function's reserved concurrency
	// (ReservedConcurrentExecutions): its invocations in flight never pass
	// it, and never draw on the account's unreserved pool. 0 throttles
	// every invocation. Nil: none; the function shares the account's
	// unreserved pool.
	Reserved *int
	// MaxEnvs, when positive and Reserved is nil, reserves that many: a
	// shorthand of Reserved.
	MaxEnvs int
	// Account is the account's concurrency in the Region, shared with its
	// other functions; nil: an account of the function's own, of
	// DefaultConcurrency. Reservations are made on it by the caller
	// (Account.Reserve), as Lambda makes them when the function is created.
	Account     *Account
	Region      string
	Log         io.Writer
	OnSegment   func(Segment) // receives the function's own trace segments
	InitTimeout time.Duration // [10s]
	// Logging is the function's LoggingConfig: its log format and levels.
	Logging Logging
}

// Request is one invocation.
type Request struct {
	Payload []byte
	// ID is the request id; "" makes a new one. An asynchronous invocation
	// keeps its id across retries.
	ID string
	// TraceHeader is the caller's X-Ray header ("Root=…;Parent=…;Sampled=1"),
	// or "" to start a new trace.
	TraceHeader string
	// ClientContext is the caller's client context, JSON: the function gets
	// it in the Lambda-Runtime-Client-Context header.
	ClientContext string
	// Wait has an invocation beyond the function's concurrency wait for a
	// place; without, it fails at once with a *ThrottleError.
	Wait bool
}

// Result is an invocation's outcome.
type Result struct {
	Payload []byte
	// FunctionError is "Unhandled" when the function failed (its error
	// payload is in Payload), as Lambda's X-Amz-Function-Error header says.
	FunctionError string
	RequestID     string
	Duration      time.Duration
	// LogTail is the last 4 KB of the invocation's log, from its START line
	// to its REPORT line, as LogType Tail returns it.
	LogTail []byte
}

// Segment is a Lambda function segment the host reports for X-Ray.
type Segment struct {
	TraceID, ID, ParentID, Name string
	Start, End                  time.Time
	Error                       bool
	RequestID                   string
}

// errStopped is the answer of a stopped host.
var errStopped = errors.New("function host is stopped")

// Host runs one function.
type Host struct {
	cfg     Config
	account *Account

	mu       sync.Mutex
	idle     []*env
	all      map[*env]bool
	inFlight int
	freed    chan struct{} // closed, and replaced, when an invocation ends
	closed   bool
}

// NewHost returns a host; environments start on first use.
func NewHost(cfg Config) *Host {
	if cfg.Reserved == nil && cfg.MaxEnvs > 0 {
		n := cfg.MaxEnvs
		cfg.Reserved = &n
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	account := cfg.Account
	if account == nil {
		account = NewAccount(DefaultConcurrency)
	}
	return &Host{cfg: cfg, account: account, all: map[*env]bool{}, freed: make(chan struct{})}
}

// Name is the function's name.
func (h *Host) Name() string { return h.cfg.Name }

// ARN is the function's ARN.
func (h *Host) ARN() string { return h.cfg.ARN }

// Invoke runs one invocation: Run with the payload and trace header. With
// wait, it waits for a place within the function's concurrency; without, it
// fails with a *ThrottleError (errors.Is ErrThrottled) when there is none.
func (h *Host) Invoke(ctx context.Context, payload []byte, traceHeader string, wait bool) (Result, error) {
	return h.Run(ctx, Request{Payload: payload, TraceHeader: traceHeader, Wait: wait})
}

// Run runs one invocation in an idle environment, or a new one. It fails
// with a *RequestTooLargeError for a payload over MaxSyncPayload, with a
// *ThrottleError when the function is at its concurrency (see
// Request.Wait), with the context's error, or when the host is stopped; an
// invocation that ran answers with its Result, failed or not.
func (h *Host) Run(ctx context.Context, req Request) (Result, error) {
	if len(req.Payload) > MaxSyncPayload {
		return Result{}, &RequestTooLargeError{Size: len(req.Payload)}
	}
	if err := h.admit(ctx, req.Wait); err != nil {
		return Result{}, err
	}
	defer h.done()
	for {
		e, err := h.env()
		if err != nil {
			return Result{}, err
		}
		res, healthy, gone := e.invoke(ctx, req)
		h.release(e, healthy)
		// A warm environment whose process has exited since its last
		// invocation (after reporting a panic, or killed) is dropped and the
		// invocation goes to another, unseen. Only warm environments are
		// gone, and each only once, so this ends with a new one at the
		// latest; gone has no result to return.
		if !gone {
			return res, nil
		}
	}
}

// admit takes a place for one invocation within the function's reserved
// concurrency, or else in the account's unreserved pool.
func (h *Host) admit(ctx context.Context, wait bool) error {
	for {
		freed := h.changed()
		err := h.take()
		if err == nil || !wait {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-freed:
		}
	}
}

func (h *Host) take() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.cfg.Reserved != nil && h.inFlight >= *h.cfg.Reserved:
		return &ThrottleError{Reason: ReasonReservedConcurrency}
	case h.cfg.Reserved == nil && !h.account.take():
		return &ThrottleError{Reason: ReasonAccountConcurrency}
	}
	h.inFlight++
	return nil
}

func (h *Host) done() {
	h.mu.Lock()
	h.inFlight--
	close(h.freed)
	h.freed = make(chan struct{})
	h.mu.Unlock()
	if h.cfg.Reserved == nil {
		h.account.give()
	}
}

// changed is closed when a place the function may take is next freed.
func (h *Host) changed() <-chan struct{} {
	if h.cfg.Reserved == nil {
		return h.account.changed()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.freed
}

// env returns an idle environment, or starts one.
func (h *Host) env() (*env, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errStopped
	}
	if n := len(h.idle); n > 0 {
		e := h.idle[n-1]
		h.idle = h.idle[:n-1]
		h.mu.Unlock()
		return e, nil
	}
	h.mu.Unlock()
	e, err := startEnv(h.cfg)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.all[e] = true
	h.mu.Unlock()
	return e, nil
}

func (h *Host) release(e *env, healthy bool) {
	h.mu.Lock()
	keep := healthy && !h.closed
	if keep {
		h.idle = append(h.idle, e)
	} else {
		delete(h.all, e)
	}
	h.mu.Unlock()
	if !keep {
		go e.stop()
	}
}

// ColdStart starts one environment of the function and returns the time
// from exec to its first request for an invocation; then it stops it.
func (h *Host) ColdStart() (time.Duration, error) {
	e, err := startEnv(h.cfg)
	if err != nil {
		return 0, err
	}
	defer e.stop()
	select {
	case <-e.asked:
		return e.firstAsk.Sub(e.started), nil
	case <-e.exited:
		return 0, fmt.Errorf("%s exited during init: %v", h.cfg.Name, e.cmd.ProcessState)
	case <-time.After(h.cfg.InitTimeout):
		return 0, fmt.Errorf("%s did not ask for an invocation within %s", h.cfg.Name, h.cfg.InitTimeout)
	}
}

// Busy is the number of invocations in flight.
func (h *Host) Busy() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inFlight
}

// PIDs returns the process ids of every running environment, busy or idle.
func (h *Host) PIDs() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int
	for e := range h.all {
		if !e.ended() { // reaped: the pid may be another process's now
			out = append(out, e.cmd.Process.Pid)
		}
	}
	return out
}

// Recycle stops the idle environments: the next invocations start cold.
func (h *Host) Recycle() {
	h.mu.Lock()
	idle := h.idle
	h.idle = nil
	for _, e := range idle {
		delete(h.all, e)
	}
	h.mu.Unlock()
	for _, e := range idle {
		e.stop()
	}
}

// Close stops every idle environment; busy ones stop when they finish.
func (h *Host) Close() {
	h.mu.Lock()
	h.closed = true
	idle := h.idle
	h.idle = nil
	for _, e := range idle {
		delete(h.all, e)
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range idle {
		wg.Go(e.stop)
	}
	wg.Wait()
}
