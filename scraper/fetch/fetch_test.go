package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

var loopback = Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// newFetcher returns a fetcher for test servers that records its waits
// instead of sleeping.
func newFetcher(t *testing.T, o Options) (*Fetcher, *[]time.Duration) {
	t.Helper()
	if o.Guard.Allowed == nil {
		o.Guard = loopback
	}
	if o.Rate == 0 {
		o.Rate = 1000
	}
	f := New(o)
	var waits []time.Duration
	f.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return f, &waits
}

const page = `<!DOCTYPE html><html><body><p>ok</p></body></html>`

func site(t *testing.T, routes map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for p, h := range routes {
		mux.HandleFunc(p, h)
	}
	if _, ok := routes["/robots.txt"]; !ok {
		mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) })
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func html(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
}

func TestGetSendsOurUserAgent(t *testing.T) {
	var ua string
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) { ua = r.UserAgent(); html(page)(w, r) }})
	f, _ := newFetcher(t, Options{})
	p, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if err != nil || !strings.Contains(string(p.Body), "ok") {
		t.Fatalf("%v %v", p, err)
	}
	if ua != DefaultUserAgent {
		t.Fatalf("User-Agent %q", ua)
	}
}

func TestRobots(t *testing.T) {
	tests := []struct {
		name   string
		robots http.HandlerFunc
		path   string
		want   Reason // "": fetched
	}{
		{"disallowed for us", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "User-agent: moviepipe\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n")
		}, "/private/films", ReasonRobotsDisallow},
		{"allowed for us", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprint(w, "User-agent: moviepipe\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n")
		}, "/films", ""},
		{"everyone disallowed", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /\n") }, "/films", ReasonRobotsDisallow},
		{"no robots.txt", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, "/films", ""},
		{"robots.txt failing", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, "/films", ReasonRobotsUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			s := site(t, map[string]http.HandlerFunc{"/robots.txt": tt.robots, "/": func(w http.ResponseWriter, r *http.Request) { hits.Add(1); html(page)(w, r) }})
			f, _ := newFetcher(t, Options{})
			_, err := f.Get(t.Context(), s.URL+tt.path, Validators{})
			if ReasonOf(err) != tt.want || (tt.want == "" && err != nil) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if tt.want != "" && hits.Load() != 0 {
				t.Fatal("a disallowed page was requested")
			}
		})
	}
}

func TestRetryAfter429(t *testing.T) {
	var n atomic.Int64
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		html(page)(w, r)
	}})
	f, waits := newFetcher(t, Options{})
	if _, err := f.Get(t.Context(), s.URL+"/", Validators{}); err != nil {
		t.Fatal(err)
	}
	if len(*waits) != 1 || (*waits)[0] != 7*time.Second {
		t.Fatalf("waited %v, want [7s]", *waits)
	}
}

func TestRetryAfterTooLongGivesUp(t *testing.T) {
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusServiceUnavailable)
	}})
	f, waits := newFetcher(t, Options{})
	_, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if ReasonOf(err) != ReasonStatus || len(*waits) != 0 {
		t.Fatalf("err %v, waits %v", err, *waits)
	}
}

func TestServerErrorsRetriedWithBackoff(t *testing.T) {
	var n atomic.Int64
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, _ *http.Request) { n.Add(1); w.WriteHeader(http.StatusInternalServerError) }})
	f, waits := newFetcher(t, Options{MaxRetries: 2})
	_, err := f.Get(t.Context(), s.URL+"/", Validators{})
	se, ok := errors.AsType[*StatusError](err)
	if !ok || se.Code != 500 || n.Load() != 3 || len(*waits) != 2 || (*waits)[1] <= (*waits)[0]/2 {
		t.Fatalf("err %v, %d requests, waits %v", err, n.Load(), *waits)
	}
}

func TestNotFoundIsNotRetried(t *testing.T) {
	var n atomic.Int64
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, _ *http.Request) { n.Add(1); http.NotFound(w, nil) }})
	f, _ := newFetcher(t, Options{})
	if _, err := f.Get(t.Context(), s.URL+"/x", Validators{}); ReasonOf(err) != ReasonStatus || n.Load() != 1 {
		t.Fatalf("err %v after %d requests", err, n.Load())
	}
}

func TestSlowResponseTimesOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	f, _ := newFetcher(t, Options{Timeout: 100 * time.Millisecond, MaxRetries: -1})
	_, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if ReasonOf(err) != ReasonTimeout || !strings.Contains(err.Error(), "timeout: no answer within 100ms") {
		t.Fatalf("got %v", err)
	}
}

// A body still arriving when the request's timeout ends is a timeout, named.
func TestSlowBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<p>")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	f, _ := newFetcher(t, Options{Timeout: 100 * time.Millisecond, MaxRetries: -1})
	_, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if ReasonOf(err) != ReasonTimeout || !strings.Contains(err.Error(), "body still arriving after 100ms") {
		t.Fatalf("got %v", err)
	}
}

func TestBodyCap(t *testing.T) {
	big := strings.Repeat("x", 2048)
	s := site(t, map[string]http.HandlerFunc{
		"/declared": html(big),
		"/chunked": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			for range 4 {
				fmt.Fprint(w, big[:600])
				w.(http.Flusher).Flush()
			}
		},
	})
	f, _ := newFetcher(t, Options{MaxBodyBytes: 1024})
	for _, p := range []string{"/declared", "/chunked"} {
		if _, err := f.Get(t.Context(), s.URL+p, Validators{}); ReasonOf(err) != ReasonBodyCap {
			t.Errorf("%s: got %v", p, err)
		}
	}
}

func TestContentType(t *testing.T) {
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprint(w, "%PDF")
	}})
	f, _ := newFetcher(t, Options{})
	if _, err := f.Get(t.Context(), s.URL+"/", Validators{}); ReasonOf(err) != ReasonContentType {
		t.Fatalf("got %v", err)
	}
}

func TestCharsetDecoded(t *testing.T) {
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		_, _ = w.Write([]byte("<p>Am\xe9lie</p>"))
	}})
	f, _ := newFetcher(t, Options{})
	p, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if err != nil || !strings.Contains(string(p.Body), "Amélie") {
		t.Fatalf("%q %v", p.Body, err)
	}
}

func TestRedirects(t *testing.T) {
	var s *httptest.Server
	s = site(t, map[string]http.HandlerFunc{
		"/robots.txt": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /secret\n") },
		"/hop/": func(w http.ResponseWriter, r *http.Request) {
			var n int
			_, _ = fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
			if n == 0 {
				html(page)(w, r)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
		},
		"/to-metadata": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		},
		"/to-other-loopback": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, strings.Replace(s.URL, "127.0.0.1", "127.0.0.2", 1)+"/hop/0", http.StatusFound)
		},
		"/to-secret": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/secret", http.StatusFound) },
		"/to-file": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		},
	})
	f, _ := newFetcher(t, Options{Guard: Guard{Allowed: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	if p, err := f.Get(t.Context(), s.URL+"/hop/5", Validators{}); err != nil || p.URL.Path != "/hop/0" {
		t.Fatalf("5 redirects: %v", err)
	}
	if _, err := f.Get(t.Context(), s.URL+"/hop/6", Validators{}); ReasonOf(err) != ReasonRedirects {
		t.Fatalf("6 redirects: %v", err)
	}
	for path, want := range map[string]Reason{"/to-secret": ReasonRobotsDisallow, "/to-file": ReasonScheme} {
		if _, err := f.Get(t.Context(), s.URL+path, Validators{}); ReasonOf(err) != want {
			t.Errorf("%s: got %v, want %v", path, err, want)
		}
	}
	for _, path := range []string{"/to-metadata", "/to-other-loopback"} {
		_, err := f.Get(t.Context(), s.URL+path, Validators{})
		if _, ok := errors.AsType[*ErrRefusedAddress](err); !ok {
			t.Errorf("%s: got %v, want a refused address", path, err)
		}
	}
}

func TestGuardRefusesWithoutAllowance(t *testing.T) {
	s := site(t, map[string]http.HandlerFunc{"/": html(page)})
	f, _ := newFetcher(t, Options{Guard: Guard{Allowed: []netip.Prefix{}}})
	_, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if _, ok := errors.AsType[*ErrRefusedAddress](err); !ok {
		t.Fatalf("got %v", err)
	}
}

func TestGuard(t *testing.T) {
	g := Guard{}
	for _, a := range []string{"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1",
		"fd00::1", "0.0.0.0", "100.64.0.1", "224.0.0.1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
		"64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "198.18.0.1", "::",
		// IPv4 embedded in or translated to IPv6, and reserved IPv6 (issue 19).
		"::7f00:1", "::ffff:0:7f00:1", "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "100::1", "64:ff9b:1::1",
		"3fff::1", "5f00::1", "fc00::1", "ff02::1",
		// The rest of IANA's IPv4 special-purpose registry.
		"192.0.0.8", "192.0.2.1", "192.31.196.1", "192.52.193.1", "192.88.99.1", "192.175.48.1", "198.51.100.1", "203.0.113.1", "240.0.0.1"} {
		if g.Check(netip.MustParseAddr(a)) == nil {
			t.Errorf("%s allowed", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8", "::ffff:8.8.8.8"} {
		if err := g.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	nets, err := ParseNetworks("127.0.0.0/8, 10.0.0.0/8")
	if err != nil || (Guard{Allowed: nets}).Check(netip.MustParseAddr("10.9.9.9")) != nil {
		t.Fatalf("allowed networks: %v %v", nets, err)
	}
	if _, err := ParseNetworks("127.0.0.1"); err == nil {
		t.Error("a bare address accepted as a network")
	}
}

func TestRateLimitPerHostAndCrawlDelay(t *testing.T) {
	s := site(t, map[string]http.HandlerFunc{
		"/robots.txt": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "User-agent: *\nCrawl-delay: 2\n") },
		"/":           html(page),
	})
	f, _ := newFetcher(t, Options{Rate: 5})
	if _, err := f.Get(t.Context(), s.URL+"/", Validators{}); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.URL, "http://")
	if got := f.limiter(host).Limit(); got != rate.Every(2*time.Second) {
		t.Fatalf("limit %v, want one request per 2s from Crawl-delay", got)
	}
	if got := f.limiter("other.example").Limit(); got != 5 {
		t.Fatalf("another host's limit %v, want 5/s", got)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "5": 5 * time.Second, "Thu, 26 Nov 2026 09:00:10 GMT": 10 * time.Second, "soon": 0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// A wait that would end past the context's deadline is not waited: the
// page is deferred, with the time it may be asked for again. Neither the
// rate limit's next slot nor a Retry-After holds the caller; no request is
// made that the limit does not allow.
func TestWaitsPastTheDeadlineDefer(t *testing.T) {
	var n atomic.Int64
	s := site(t, map[string]http.HandlerFunc{
		"/slow-down": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "20")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"/": func(w http.ResponseWriter, r *http.Request) { n.Add(1); html(page)(w, r) },
	})
	f, _ := newFetcher(t, Options{})
	if _, err := f.Get(t.Context(), s.URL+"/", Validators{}); err != nil {
		t.Fatal(err)
	}
	l := f.limiter(strings.TrimPrefix(s.URL, "http://"))
	l.SetLimit(rate.Every(10 * time.Second)) // as a Crawl-delay of 10 would
	l.Reserve()                              // a request now: the next slot is 10 to 20 s away
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	dl, _ := ctx.Deadline()
	_, err := f.Get(ctx, s.URL+"/", Validators{})
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Reason != ReasonDeferred || !e.RetryAt.After(dl) || n.Load() != 1 {
		t.Fatalf("the rate limit's next slot past the deadline: %v (deadline %v), %d requests", err, dl, n.Load())
	}
	f, waits := newFetcher(t, Options{})
	_, err = f.Get(ctx, s.URL+"/slow-down", Validators{})
	if e, ok = errors.AsType[*Error](err); !ok || e.Reason != ReasonDeferred || !e.RetryAt.After(dl) || len(*waits) != 0 ||
		!strings.Contains(e.Detail, "answered 429 Too Many Requests; the retry in 20s comes after the deadline") {
		t.Fatalf("a Retry-After past the deadline: %v, waits %v", err, *waits)
	}
}

// A page's validators are returned; sent back, they make the request
// conditional, and a 304 is a page NotModified (with the validators it was
// asked with). Without validators a 304 is not a success.
func TestConditionalRequests(t *testing.T) {
	var asked []http.Header
	modified := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	s := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Header.Clone())
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "", modified, strings.NewReader(page))
	}})
	f, _ := newFetcher(t, Options{})
	p, err := f.Get(t.Context(), s.URL+"/", Validators{})
	if err != nil || p.NotModified || p.ETag != `"v1"` || p.LastModified != modified.Format(http.TimeFormat) || string(p.Body) != page {
		t.Fatalf("first: %+v %v", p, err)
	}
	again, err := f.Get(t.Context(), s.URL+"/", p.Validators)
	if err != nil || !again.NotModified || again.Validators != p.Validators || len(again.Body) != 0 {
		t.Fatalf("conditional: %+v %v", again, err)
	}
	if h := asked[1]; h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != p.LastModified || asked[0].Get("If-None-Match") != "" {
		t.Fatalf("request headers %v", asked)
	}
	changed, err := f.Get(t.Context(), s.URL+"/", Validators{ETag: `"v0"`})
	if err != nil || changed.NotModified || string(changed.Body) != page {
		t.Fatalf("another version: %+v %v", changed, err)
	}
	s304 := site(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotModified) }})
	if _, err := f.Get(t.Context(), s304.URL+"/", Validators{}); ReasonOf(err) != ReasonStatus {
		t.Fatalf("an unasked 304: %v", err)
	}
}
