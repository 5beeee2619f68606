package apigw_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// blocking is a request the test function holds until the test releases
// it: the function writes started when it begins and done when it ends.
type blocking struct {
	query                  string
	started, release, done string
}

func newBlocking(t *testing.T) blocking {
	dir := t.TempDir()
	b := blocking{started: filepath.Join(dir, "started"), release: filepath.Join(dir, "release"), done: filepath.Join(dir, "done")}
	b.query = "?" + url.Values{"started": {b.started}, "release": {b.release}, "done": {b.done}}.Encode()
	return b
}

func (b blocking) free(t *testing.T) {
	if err := os.WriteFile(b.release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// waitFile waits for the function to write path; it fails the test if that
// does not happen within a minute.
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil {
			return b
		}
	}
	t.Fatalf("the function never wrote %s", path)
	return nil
}

// Stage throttling answers 429 {"message":"Too Many Requests"} without
// invoking the function, each method with its own bucket ("Per-API,
// per-stage throttling limits are applied at the API method level").
func TestStageThrottling(t *testing.T) {
	s := gateway(t, setup{throttle: func() *rate.Limiter { return rate.NewLimiter(rate.Every(time.Hour), 1) }})
	resp, body := call(t, "GET", s.URL+"/test/things/x", nil, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first request: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, "GET", s.URL+"/test/things/x", nil, nil)
	if resp.StatusCode != http.StatusTooManyRequests || string(body) != `{"message":"Too Many Requests"}` || resp.Header.Get("X-Amzn-Errortype") != "TooManyRequestsException" {
		t.Fatalf("over the limit: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if n := len(s.segments()); n != 1 {
		t.Errorf("%d segments: a throttled request reaches no integration", n)
	}
	if resp, body = call(t, "POST", s.URL+"/test/things/x", nil, nil); resp.StatusCode != http.StatusCreated {
		t.Errorf("another method: %d %s", resp.StatusCode, body)
	}
}

// When Lambda throttles the invocation (every environment busy at the
// function's concurrency), API Gateway answers 500 Internal server error,
// not 429: "If the Lambda API rejects the invocation request, API Gateway
// returns a 500 error code" ("Handling Lambda errors with an API Gateway
// API").
func TestThrottledFunction(t *testing.T) {
	s := gateway(t, setup{maxEnvs: 1})
	b := newBlocking(t)
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(s.URL + "/test/things/block" + b.query)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	waitFile(t, b.started) // the only environment is busy
	resp, body := call(t, "GET", s.URL+"/test/things/x", nil, nil)
	if resp.StatusCode != http.StatusInternalServerError || string(body) != `{"message":"Internal server error"}` || resp.Header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
		t.Errorf("throttled: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	b.free(t)
	if status := <-first; status != http.StatusOK {
		t.Errorf("the blocked request: %d", status)
	}
}

// After the integration timeout the client gets 504 Endpoint request timed
// out, and the function runs on to its end, as on AWS: it finishes only
// once the test has seen the 504.
func TestIntegrationTimeout(t *testing.T) {
	s := gateway(t, setup{timeout: 200 * time.Millisecond})
	b := newBlocking(t)
	resp, body := call(t, "GET", s.URL+"/test/things/block"+b.query, nil, nil)
	if resp.StatusCode != http.StatusGatewayTimeout || string(body) != `{"message":"Endpoint request timed out"}` || resp.Header.Get("X-Amzn-Errortype") != "InternalServerErrorException" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
	if _, err := os.Stat(b.done); err == nil {
		t.Fatal("the function ended before the gateway answered")
	}
	b.free(t)
	if got := waitFile(t, b.done); string(got) != "ran on" {
		t.Errorf("done: %q", got)
	}
	if segs := s.segments(); len(segs) != 1 || !segs[0].Fault || !strings.Contains(string(segs[0].HTTP), `"status":504`) {
		t.Errorf("segments %+v", segs)
	}
}

// A request body over API Gateway's 10 MB payload quota is refused with
// AWS's plain-text 413, before the function; 5 MB (under Lambda's 6 MB
// invocation limit) reaches it; 7 MB is refused by the function's host.
func TestPayloadQuota(t *testing.T) {
	s := gateway(t, setup{})
	resp, body := call(t, "POST", s.URL+"/test/things/respond", bytes.Repeat([]byte("x"), 10<<20+1), nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || string(body) != "HTTP content length exceeded 10485760 bytes." {
		t.Errorf("10 MB + 1: %d %q", resp.StatusCode, body)
	}
	if n := len(s.segments()); n != 0 {
		t.Errorf("%d segments for a refused request", n)
	}
	resp, body = call(t, "POST", s.URL+"/test/things/x", bytes.Repeat([]byte("x"), 5<<20), nil)
	if resp.StatusCode != http.StatusCreated || len(echoed(t, body).Body) != 5<<20 {
		t.Errorf("5 MB: %d", resp.StatusCode)
	}
	// 7 MB passes the gateway's quota, but its event is over Lambda's 6 MB
	// request limit: the host refuses it and the gateway answers 502.
	resp, body = call(t, "POST", s.URL+"/test/things/x", bytes.Repeat([]byte("x"), 7<<20), nil)
	if resp.StatusCode != http.StatusBadGateway || string(body) != `{"message":"Internal server error"}` {
		t.Errorf("7 MB: %d %s", resp.StatusCode, body)
	}
}
