package lambda_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// queueClock is the asynchronous queue's clock in these tests: each wait
// is recorded and over at once, and moves the clock on by its length.
type queueClock struct {
	mu     sync.Mutex
	now    time.Time
	waits  []time.Duration
	onWait func(n int) // called before the n-th wait (from 1) ends
}

func (c *queueClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *queueClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	n, on := len(c.waits), c.onWait
	c.mu.Unlock()
	if on != nil {
		on(n)
	}
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

func (c *queueClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// asyncService is an Invoke API over h whose queue runs on clock and logs to
// the returned buffer; post sends an Event invocation and returns its
// request id.
func asyncService(t *testing.T, h *lambda.Host, clock *queueClock, cfg lambda.AsyncConfig) (logs *syncBuffer, post func(body string) string) {
	t.Helper()
	logs = &syncBuffer{}
	svc := lambda.NewService([]*lambda.Host{h}, slog.New(slog.NewTextHandler(logs, nil)))
	svc.Now, svc.After = clock.Now, clock.After
	svc.Async = func(string) lambda.AsyncConfig { return cfg }
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return logs, func(body string) string {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/fn-test/invocations", strings.NewReader(body))
		req.Header.Set("X-Amz-Invocation-Type", "Event")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: %d", body, resp.StatusCode)
		}
		return resp.Header.Get("X-Amzn-Requestid")
	}
}

// An asynchronous event whose function fails is retried as Lambda retries
// it: MaximumRetryAttempts times (2 by default), one minute before the
// first retry and two before the second, under its first request id; then
// it is dropped.
func TestAsyncRetrySchedule(t *testing.T) {
	for retries, want := range [][]time.Duration{{}, {time.Minute}, {time.Minute, 2 * time.Minute}} {
		clock := &queueClock{now: time.Unix(1_800_000_000, 0)}
		var mu sync.Mutex
		var ids []string
		h, _, _ := newHost(t, func(c *lambda.Config) {
			c.OnSegment = func(s lambda.Segment) { mu.Lock(); ids = append(ids, s.RequestID); mu.Unlock() }
		})
		logs, post := asyncService(t, h, clock, lambda.AsyncConfig{MaxRetries: retries, MaxEventAge: 6 * time.Hour})
		id := post(`{"error": "always"}`)
		waitForLog(t, logs, "asynchronous event dropped: every attempt failed")
		mu.Lock()
		if got := clock.Waits(); !slices.Equal(got, want) || len(ids) != retries+1 || slices.ContainsFunc(ids, func(s string) bool { return s != id }) {
			t.Errorf("%d retries: waits %v (want %v), attempts %v (want %d, all %s)", retries, got, want, ids, retries+1, id)
		}
		mu.Unlock()
	}
}

// A throttled asynchronous event goes back to the queue: retried after 1 s,
// then twice as long each time up to 5 minutes, without counting an
// attempt, until it would be older than its maximum age (6 hours by
// default); then it is dropped, never having run.
func TestAsyncThrottleSchedule(t *testing.T) {
	for _, age := range []time.Duration{6 * time.Hour, time.Minute} {
		var want []time.Duration
		var total time.Duration
		for d := time.Second; total+d <= age; d = min(2*d, 5*time.Minute) {
			want, total = append(want, d), total+d
		}
		clock := &queueClock{now: time.Unix(1_800_000_000, 0)}
		h, _, segs := newHost(t, func(c *lambda.Config) { zero := 0; c.Reserved = &zero })
		logs, post := asyncService(t, h, clock, lambda.AsyncConfig{MaxRetries: 2, MaxEventAge: age})
		post(`{}`)
		waitForLog(t, logs, "asynchronous event dropped: older than its maximum age")
		if got := clock.Waits(); !slices.Equal(got, want) || len(*segs) != 0 {
			t.Errorf("maximum age %s: waits %v, want %v; %d invocations, want none", age, got, want, len(*segs))
		}
	}
}

// A throttled asynchronous event is not failed: it runs, once, when the
// function has room again.
func TestAsyncThrottledEventRunsLater(t *testing.T) {
	clock := &queueClock{now: time.Unix(1_800_000_000, 0)}
	var mu sync.Mutex
	var ids []string
	h, _, _ := newHost(t, func(c *lambda.Config) {
		c.MaxEnvs = 1
		c.OnSegment = func(s lambda.Segment) { mu.Lock(); ids = append(ids, s.RequestID); mu.Unlock() }
	})
	release := hold(t, h, 1)
	clock.onWait = func(int) { release() }
	_, post := asyncService(t, h, clock, lambda.DefaultAsync)
	id := post(`{}`)
	waitFor(t, "the event to run", func() bool { mu.Lock(); defer mu.Unlock(); return slices.Contains(ids, id) })
	mu.Lock()
	defer mu.Unlock()
	if got := clock.Waits(); !slices.Equal(got, []time.Duration{time.Second}) || len(ids) != 2 {
		t.Errorf("waits %v, want [1s]; invocations %v, want the holder's and %s", got, ids, id)
	}
}
