package lambda_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/internal/fnbuild"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

var bootstrap string

// TestMain builds the test function as a real bootstrap, as the local cloud
// builds the services' functions.
func TestMain(m *testing.M) { fnbuild.Main(m, "./testdata/fn", &bootstrap) }

type reply struct {
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMs  int64             `json:"deadlineMs"`
	TraceID     string            `json:"traceId"`
	PID         int               `json:"pid"`
	Env         string            `json:"env"`
	Custom      map[string]string `json:"custom"`
}

func newHost(t *testing.T, mod func(*lambda.Config)) (*lambda.Host, *syncBuffer, *[]lambda.Segment) {
	t.Helper()
	var logs syncBuffer
	var segs []lambda.Segment
	var mu sync.Mutex
	cfg := lambda.Config{Name: "fn-test", ARN: "arn:aws:lambda:us-east-1:000000000000:function:fn-test", Binary: bootstrap,
		Env: map[string]string{"TEST_VALUE": "from-config"}, Timeout: 3 * time.Second, MemoryMB: 128, MaxEnvs: 2, Region: "us-east-1",
		Log: &logs, OnSegment: func(s lambda.Segment) { mu.Lock(); segs = append(segs, s); mu.Unlock() }}
	if mod != nil {
		mod(&cfg)
	}
	h := lambda.NewHost(cfg)
	t.Cleanup(h.Close)
	return h, &logs, &segs
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func invoke(t *testing.T, h *lambda.Host, event string, trace string) (lambda.Result, reply) {
	t.Helper()
	res, err := h.Invoke(context.Background(), []byte(event), trace, true)
	if err != nil {
		t.Fatal(err)
	}
	var r reply
	_ = json.Unmarshal(res.Payload, &r)
	return res, r
}

func TestRuntimeAPIHeaders(t *testing.T) {
	h, _, segs := newHost(t, nil)
	before := time.Now()
	res, r := invoke(t, h, `{}`, "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1")
	if res.FunctionError != "" || r.RequestID != res.RequestID || r.FunctionARN != "arn:aws:lambda:us-east-1:000000000000:function:fn-test" || r.Env != "from-config" {
		t.Fatalf("result %+v, reply %+v", res, r)
	}
	deadline := time.UnixMilli(r.DeadlineMs)
	if deadline.Before(before.Add(2*time.Second)) || deadline.After(time.Now().Add(3*time.Second)) {
		t.Errorf("deadline %v is not the 3s timeout", deadline)
	}
	// The function's trace continues the caller's, under the function's segment.
	if len(*segs) != 1 {
		t.Fatalf("%d segments", len(*segs))
	}
	s := (*segs)[0]
	want := "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=" + s.ID + ";Sampled=1"
	if r.TraceID != want || s.ParentID != "53995c3f42cd8ad8" || s.TraceID != "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e" {
		t.Errorf("trace %q, segment %+v", r.TraceID, s)
	}
	// A warm environment serves the next invocation.
	_, r2 := invoke(t, h, `{}`, "")
	if r2.PID != r.PID || r2.RequestID == r.RequestID || !strings.HasPrefix(r2.TraceID, "Root=1-") {
		t.Errorf("second invocation %+v", r2)
	}
}

func TestFunctionErrorKeepsTheEnvironment(t *testing.T) {
	h, _, _ := newHost(t, nil)
	_, first := invoke(t, h, `{}`, "")
	res, _ := invoke(t, h, `{"error": "nope"}`, "")
	var e struct{ ErrorMessage, ErrorType string }
	_ = json.Unmarshal(res.Payload, &e)
	if res.FunctionError != "Unhandled" || e.ErrorMessage != "nope" {
		t.Fatalf("%+v %s", res, res.Payload)
	}
	if _, again := invoke(t, h, `{}`, ""); again.PID != first.PID {
		t.Error("a handled error replaced the environment")
	}
}

func TestTimeoutKillsAndReplacesTheEnvironment(t *testing.T) {
	h, _, segs := newHost(t, func(c *lambda.Config) { c.Timeout = 300 * time.Millisecond })
	_, first := invoke(t, h, `{}`, "")
	res, _ := invoke(t, h, `{"sleepMs": 5000}`, "")
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "Task timed out after 0.30 seconds") {
		t.Fatalf("%+v %s", res, res.Payload)
	}
	waitGone(t, first.PID)
	_, next := invoke(t, h, `{}`, "")
	if next.PID == first.PID || next.PID == 0 {
		t.Errorf("after a timeout the environment was not replaced: pid %d then %d", first.PID, next.PID)
	}
	if !(*segs)[1].Error {
		t.Error("the timed-out invocation's segment is not marked as an error")
	}
}

func TestCrashIsReportedAndRestarted(t *testing.T) {
	for _, event := range []string{`{"panic": true}`, `{"exit": 7}`} {
		t.Run(event, func(t *testing.T) {
			h, _, _ := newHost(t, nil)
			_, first := invoke(t, h, `{}`, "")
			res, _ := invoke(t, h, event, "")
			if res.FunctionError != "Unhandled" {
				t.Fatalf("%+v %s", res, res.Payload)
			}
			waitGone(t, first.PID)
			if _, next := invoke(t, h, `{}`, ""); next.PID == first.PID || next.PID == 0 {
				t.Error("not restarted")
			}
		})
	}
}

func TestInitFailure(t *testing.T) {
	h, _, _ := newHost(t, func(c *lambda.Config) { c.Env["FAIL_INIT"] = "1" })
	res, _ := invoke(t, h, `{}`, "")
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "Runtime.ExitError") {
		t.Fatalf("%+v %s", res, res.Payload)
	}
}

// At its reserved concurrency a function throttles a synchronous
// invocation, and one that waits (an event source mapping's) runs as soon as
// a place is free.
func TestConcurrencyLimit(t *testing.T) {
	h, _, _ := newHost(t, func(c *lambda.Config) { c.MaxEnvs = 1 })
	release := hold(t, h, 1)
	if _, err := h.Invoke(context.Background(), []byte(`{}`), "", false); !errors.Is(err, lambda.ErrThrottled) {
		t.Errorf("a second synchronous invocation at reserved concurrency 1: %v, want throttled", err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := h.Invoke(context.Background(), []byte(`{}`), "", true)
		if err == nil && res.FunctionError != "" {
			err = errors.New(string(res.Payload))
		}
		done <- err
	}()
	release()
	if err := <-done; err != nil {
		t.Errorf("a waiting invocation: %v", err)
	}
}

func TestLogsArePrefixed(t *testing.T) {
	h, logs, _ := newHost(t, nil)
	invoke(t, h, `{"panic": true}`, "")
	// The process writes its panic as it exits, after answering.
	for i := 0; !strings.Contains(logs.String(), "[fn-test] "); i++ {
		if i == 100 {
			t.Fatalf("logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestInvokeAPI(t *testing.T) {
	h, _, _ := newHost(t, nil)
	svc := lambda.NewService([]*lambda.Host{h}, nil)
	svc.RetryDelays = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	post := func(name, typ, body string) (http.Header, int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/"+name+"/invocations", strings.NewReader(body))
		if typ != "" {
			req.Header.Set("X-Amz-Invocation-Type", typ)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.Header, resp.StatusCode, string(b)
	}
	if _, code, body := post("fn-test", "RequestResponse", `{"reply": {"ok": true}}`); code != http.StatusOK || body != `{"ok":true}` {
		t.Errorf("sync: %d %s", code, body)
	}
	if h, code, _ := post("arn:aws:lambda:us-east-1:000000000000:function:fn-test", "", `{"error": "x"}`); code != http.StatusOK || h.Get("X-Amz-Function-Error") != "Unhandled" {
		t.Errorf("function error by ARN: %d %v", code, h)
	}
	if _, code, _ := post("fn-test", "Event", `{}`); code != http.StatusAccepted {
		t.Errorf("event: %d", code)
	}
	if _, code, _ := post("nope", "", `{}`); code != http.StatusNotFound {
		t.Errorf("unknown function: %d", code)
	}
	if _, code, _ := post("fn-test", "", `not json`); code != http.StatusBadRequest {
		t.Errorf("bad payload: %d", code)
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for range 100 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("process %d still running", pid)
}

// Warm environments killed while idle are replaced unseen, however many: an
// invocation never comes back as an empty success. (With four dead warm
// environments it did, after three tries, and a Kinesis mapping took the
// empty answer for a processed batch.)
func TestManyDeadWarmEnvironmentsAreReplaced(t *testing.T) {
	h, _, _ := newHost(t, func(c *lambda.Config) { c.MaxEnvs = 4 })
	var wg sync.WaitGroup
	for range 4 { // four warm environments
		wg.Go(func() { _, _ = h.Invoke(context.Background(), []byte(`{"sleepMs": 300}`), "", true) })
	}
	wg.Wait()
	pids := h.PIDs()
	if len(pids) != 4 {
		t.Fatalf("%d environments, want 4", len(pids))
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		waitGone(t, pid)
	}
	res, r := invoke(t, h, `{}`, "")
	if res.FunctionError != "" || r.PID == 0 || slices.Contains(pids, r.PID) {
		t.Fatalf("after the warm environments died: %+v %s (pid %d)", res, res.Payload, r.PID)
	}
}
