// Package lambda runs a function's real bootstrap binary as child processes
// behind the local cloud's own implementation of the Lambda Runtime API, one
// process per execution environment: request id, deadline, function ARN and
// trace id headers; 202 answers; init errors; a timeout kills and replaces
// the environment; a crash is reported and the environment restarted;
// concurrency up to the function's reserved concurrency; logs prefixed by the
// function's name.
package lambda

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/internal/lines"
)

// Config describes one function.
type Config struct {
	Name        string
	ARN         string
	Binary      string // the bootstrap
	Env         map[string]string
	Timeout     time.Duration
	MemoryMB    int
	MaxEnvs     int // reserved concurrency, or the local default
	Region      string
	Log         io.Writer
	OnSegment   func(Segment) // receives the function's own trace segments
	InitTimeout time.Duration // [10s]
}

// Result is an invocation's outcome.
type Result struct {
	Payload []byte
	// FunctionError is "Unhandled" when the function failed (its error
	// payload is in Payload), as Lambda's X-Amz-Function-Error header says.
	FunctionError string
	RequestID     string
	Duration      time.Duration
}

// Segment is a Lambda function segment the host reports for X-Ray.
type Segment struct {
	TraceID, ID, ParentID, Name string
	Start, End                  time.Time
	Error                       bool
	RequestID                   string
}

// ErrThrottled means every environment is busy and the function is at its
// concurrency limit (a synchronous invocation fails with 429, as on AWS).
var ErrThrottled = errors.New("TooManyRequestsException: Rate Exceeded")

// Host runs one function.
type Host struct {
	cfg    Config
	mu     sync.Mutex
	idle   []*env
	n      int // live environments
	all    map[*env]bool
	wake   chan struct{}
	closed bool
}

// NewHost returns a host; environments start on first use.
func NewHost(cfg Config) *Host {
	if cfg.MaxEnvs <= 0 {
		cfg.MaxEnvs = 4
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	return &Host{cfg: cfg, wake: make(chan struct{}, 1), all: map[*env]bool{}}
}

// Name is the function's name.
func (h *Host) Name() string { return h.cfg.Name }

// ARN is the function's ARN.
func (h *Host) ARN() string { return h.cfg.ARN }

// Invoke runs one invocation. With wait, it waits for a free environment;
// without, it fails with ErrThrottled when none is free (synchronous calls).
// traceHeader is the caller's X-Ray header ("Root=…;Parent=…;Sampled=1"), or
// "" to start a new trace.
func (h *Host) Invoke(ctx context.Context, payload []byte, traceHeader string, wait bool) (Result, error) {
	for {
		e, err := h.acquire(ctx, wait)
		if err != nil {
			return Result{}, err
		}
		res, healthy, gone := e.invoke(ctx, payload, traceHeader)
		h.release(e, healthy)
		// A warm environment whose process has exited since its last
		// invocation (after reporting a panic, or killed) is dropped and the
		// invocation goes to another, unseen. Only warm environments are
		// gone, and each only once, so this ends with a new one at the
		// latest; gone has no result to return.
		if gone {
			continue
		}
		return res, nil
	}
}

func (h *Host) acquire(ctx context.Context, wait bool) (*env, error) {
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, errors.New("function host is stopped")
		}
		if n := len(h.idle); n > 0 {
			e := h.idle[n-1]
			h.idle = h.idle[:n-1]
			h.mu.Unlock()
			return e, nil
		}
		if h.n < h.cfg.MaxEnvs {
			h.n++
			h.mu.Unlock()
			e, err := startEnv(h.cfg)
			h.mu.Lock()
			if err != nil {
				h.n--
				h.mu.Unlock()
				h.signal()
				return nil, err
			}
			h.all[e] = true
			h.mu.Unlock()
			return e, nil
		}
		h.mu.Unlock()
		if !wait {
			return nil, ErrThrottled
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-h.wake:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (h *Host) release(e *env, healthy bool) {
	h.mu.Lock()
	if healthy && !h.closed {
		h.idle = append(h.idle, e)
	} else {
		h.n--
		delete(h.all, e)
		go e.stop()
	}
	h.mu.Unlock()
	h.signal()
}

func (h *Host) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// ColdStart starts one environment of the function and returns the time
// from exec to its first request for an invocation; then it stops it.
func (h *Host) ColdStart() (time.Duration, error) {
	start := time.Now()
	e, err := startEnv(h.cfg)
	if err != nil {
		return 0, err
	}
	defer e.stop()
	select {
	case <-e.asked:
		return e.firstAsk.Sub(start), nil
	case <-e.exited:
		return 0, fmt.Errorf("%s exited during init: %v", h.cfg.Name, e.cmd.ProcessState)
	case <-time.After(h.cfg.InitTimeout):
		return 0, fmt.Errorf("%s did not ask for an invocation within %s", h.cfg.Name, h.cfg.InitTimeout)
	}
}

// Busy is the number of environments running an invocation.
func (h *Host) Busy() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n - len(h.idle)
}

// PIDs returns the process ids of every running environment, busy or idle.
func (h *Host) PIDs() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int
	for e := range h.all {
		select {
		case <-e.exited: // reaped: the pid may be another process's now
		default:
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
		h.n--
	}
	h.mu.Unlock()
	for _, e := range idle {
		e.stop()
	}
	h.signal()
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

// env is one execution environment: a bootstrap process and its Runtime API.
type env struct {
	cfg    Config
	cmd    *exec.Cmd
	srv    *http.Server
	tmp    string
	exited chan struct{}
	next   chan *invocation

	warm bool // has served an invocation

	asked    chan struct{} // closed at the first /next
	askOnce  sync.Once
	firstAsk time.Time

	mu      sync.Mutex
	current *invocation
	initErr string
}

type invocation struct {
	id        string
	payload   []byte
	deadline  time.Time
	trace     string
	result    chan Result
	delivered chan struct{}
}

func startEnv(cfg Config) (*env, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "moviepipe-lambda-")
	if err != nil {
		ln.Close()
		return nil, err
	}
	e := &env{cfg: cfg, tmp: tmp, exited: make(chan struct{}), next: make(chan *invocation), asked: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", e.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", e.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", e.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", e.handleInitError)
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.srv.Serve(ln) }()

	cmd := exec.Command(cfg.Binary)
	cmd.Dir = filepath.Dir(cfg.Binary)
	cmd.Env = e.environ(ln.Addr().String())
	out := &lines.Prefixer{Prefix: "[" + cfg.Name + "] ", W: cfg.Log}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = e.srv.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("start %s: %w", cfg.Name, err)
	}
	e.cmd = cmd
	go func() { _ = cmd.Wait(); close(e.exited) }()
	return e, nil
}

func (e *env) environ(api string) []string {
	c := e.cfg
	base := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"TMPDIR":                          e.tmp,
		"HOME":                            e.tmp,
		"AWS_LAMBDA_RUNTIME_API":          api,
		"AWS_LAMBDA_FUNCTION_NAME":        c.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"AWS_REGION":                      c.Region,
		"AWS_DEFAULT_REGION":              c.Region,
		"LAMBDA_TASK_ROOT":                filepath.Dir(c.Binary),
		"LAMBDA_RUNTIME_DIR":              filepath.Dir(c.Binary),
		"_HANDLER":                        "bootstrap",
	}
	for k, v := range c.Env {
		base[k] = v
	}
	out := make([]string, 0, len(base))
	for k, v := range base {
		out = append(out, k+"="+v)
	}
	return out
}

// invoke hands one invocation to the process and waits for its outcome. It
// reports whether the environment can take another, and whether a warm
// environment turned out to be gone before it took the invocation.
func (e *env) invoke(ctx context.Context, payload []byte, trace string) (res Result, healthy, gone bool) {
	res, healthy, gone = e.run(ctx, payload, trace)
	e.warm = true
	return res, healthy, gone
}

func (e *env) run(ctx context.Context, payload []byte, trace string) (Result, bool, bool) {
	start := time.Now()
	inv := &invocation{
		id: newRequestID(), payload: payload, deadline: start.Add(e.cfg.Timeout), trace: trace,
		result: make(chan Result, 1), delivered: make(chan struct{}),
	}
	// The process must ask for its next invocation: on a cold start, after
	// its init; a cold process that exits first failed to initialise, a warm
	// one (exiting after reporting a panic, say) is simply gone.
	select {
	case <-e.exited:
		if e.warm {
			return Result{}, false, true
		}
	default:
	}
	seg := e.segment(inv, start)
	select {
	case e.next <- inv:
	case <-e.exited:
		if e.warm {
			return Result{}, false, true
		}
		res := e.failure(inv, "Runtime.ExitError", e.exitText("before it was ready"), start)
		e.report(seg, true)
		return res, false, false
	case <-time.After(e.cfg.InitTimeout):
		res := e.failure(inv, "Runtime.InitTimeout", "the runtime did not ask for an invocation within "+e.cfg.InitTimeout.String(), start)
		e.report(seg, true)
		return res, false, false
	case <-ctx.Done():
		return e.failure(inv, "Runtime.Cancelled", ctx.Err().Error(), start), true, false
	}
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case res := <-inv.result:
		res.Duration = time.Since(start)
		e.report(seg, res.FunctionError != "")
		return res, true, false
	case <-timer.C:
		res := e.failure(inv, "Sandbox.Timedout", fmt.Sprintf("Task timed out after %.2f seconds", e.cfg.Timeout.Seconds()), start)
		e.report(seg, true)
		return res, false, false // the environment is killed and replaced, as Lambda does
	case <-e.exited:
		// The response may have been posted just before the exit.
		select {
		case res := <-inv.result:
			res.Duration = time.Since(start)
			e.report(seg, res.FunctionError != "")
			return res, false, false
		default:
		}
		res := e.failure(inv, "Runtime.ExitError", e.exitText("during the invocation"), start)
		e.report(seg, true)
		return res, false, false
	}
}

func (e *env) exitText(when string) string {
	e.mu.Lock()
	initErr := e.initErr
	e.mu.Unlock()
	msg := fmt.Sprintf("RequestId: the runtime exited %s: %v", when, e.cmd.ProcessState)
	if initErr != "" {
		msg += ": " + initErr
	}
	return msg
}

func (e *env) failure(inv *invocation, typ, msg string, start time.Time) Result {
	body, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	return Result{Payload: body, FunctionError: "Unhandled", RequestID: inv.id, Duration: time.Since(start)}
}

// segment starts the function's own X-Ray segment and rewrites the trace
// header so that the function's subsegments hang under it.
func (e *env) segment(inv *invocation, start time.Time) *Segment {
	root, parent, sampled := parseTrace(inv.trace)
	if root == "" {
		root = NewTraceID(start)
		sampled = "1"
	}
	seg := &Segment{TraceID: root, ID: randomHex(8), ParentID: parent, Name: e.cfg.Name, Start: start, RequestID: inv.id}
	inv.trace = fmt.Sprintf("Root=%s;Parent=%s;Sampled=%s", root, seg.ID, sampled)
	if sampled != "1" {
		return nil
	}
	return seg
}

func (e *env) report(seg *Segment, failed bool) {
	if seg == nil || e.cfg.OnSegment == nil {
		return
	}
	seg.End, seg.Error = time.Now(), failed
	e.cfg.OnSegment(*seg)
}

func (e *env) handleNext(w http.ResponseWriter, r *http.Request) {
	e.askOnce.Do(func() { e.firstAsk = time.Now(); close(e.asked) })
	var inv *invocation
	select {
	case inv = <-e.next:
	case <-r.Context().Done():
		return
	}
	e.mu.Lock()
	e.current = inv
	e.mu.Unlock()
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", e.cfg.ARN)
	h.Set("Lambda-Runtime-Trace-Id", inv.trace)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

func (e *env) take(id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current == nil || e.current.id != id {
		return nil
	}
	inv := e.current
	e.current = nil
	return inv
}

func (e *env) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := e.take(r.PathValue("id"))
	if inv == nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress has this id")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20+1))
	if err != nil || len(body) > 6<<20 {
		inv.result <- Result{Payload: mustJSON(map[string]string{"errorType": "Function.ResponseSizeTooLarge", "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes)."}), FunctionError: "Unhandled", RequestID: inv.id}
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		return
	}
	inv.result <- Result{Payload: body, RequestID: inv.id}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (e *env) handleError(w http.ResponseWriter, r *http.Request) {
	inv := e.take(r.PathValue("id"))
	if inv == nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress has this id")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if !json.Valid(body) {
		body = mustJSON(map[string]string{"errorType": r.Header.Get("Lambda-Runtime-Function-Error-Type"), "errorMessage": string(body)})
	}
	inv.result <- Result{Payload: body, FunctionError: "Unhandled", RequestID: inv.id}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func (e *env) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	e.mu.Lock()
	e.initErr = strings.TrimSpace(string(body))
	e.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(map[string]string{"errorType": typ, "errorMessage": msg}))
}

// stop kills the environment's process group and frees its resources. The
// group is signalled only while its leader has not been reaped: once it has,
// its pid may be another process's, and signalling -pid could kill an
// unrelated process group.
func (e *env) stop() {
	pid := e.cmd.Process.Pid
	select {
	case <-e.exited:
	default:
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-e.exited:
		case <-time.After(500 * time.Millisecond):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-e.exited
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
	_ = e.srv.Close()
	os.RemoveAll(e.tmp)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewTraceID makes an X-Ray trace id: 1-<epoch seconds hex>-<24 hex>.
func NewTraceID(t time.Time) string {
	return fmt.Sprintf("1-%08x-%s", t.Unix(), randomHex(24))
}

// parseTrace reads Root, Parent and Sampled from an X-Ray header.
func parseTrace(h string) (root, parent, sampled string) {
	sampled = "1"
	for _, part := range strings.Split(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		}
	}
	return root, parent, sampled
}
