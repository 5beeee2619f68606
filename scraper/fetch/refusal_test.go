package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// Every refusal names its real cause, as a Reason and in words, and its
// message carries no Go error text: an unresolvable host, a closed port and
// an oversized robots.txt are no longer "disallowed by robots.txt".
func TestRefusalsNameTheirCause(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String() + "/"
	_ = closed.Close()
	robots := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) }
	}
	tests := []struct {
		name   string
		routes map[string]http.HandlerFunc
		url    string // absolute, or a path on the test site
		opts   Options
		want   Reason
		says   []string
	}{
		{"unresolvable host", nil, "http://nosuch.invalid/", Options{}, ReasonDNS, []string{"DNS failure", "nosuch.invalid"}},
		{"closed port", nil, closedURL, Options{}, ReasonConnRefused, []string{"connection refused", closed.Addr().String()}},
		{"robots.txt disallow", map[string]http.HandlerFunc{"/robots.txt": robots("User-agent: *\nDisallow: /\n")}, "/films", Options{},
			ReasonRobotsDisallow, []string{"disallowed by robots.txt", "/films"}},
		{"robots.txt too large", map[string]http.HandlerFunc{"/robots.txt": robots("# " + strings.Repeat("x", 2048))}, "/films", Options{MaxBodyBytes: 1024},
			ReasonRobotsTooLarge, []string{"robots.txt is larger than the body cap"}},
		{"robots.txt failing", map[string]http.HandlerFunc{"/robots.txt": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }},
			"/films", Options{MaxRetries: -1}, ReasonRobotsUnavailable, []string{"robots.txt answered 500", "treated as disallowed"}},
		{"Crawl-delay above the bound", map[string]http.HandlerFunc{"/robots.txt": robots("User-agent: *\nCrawl-delay: 100000\n")}, "/films", Options{},
			ReasonCrawlDelay, []string{"/robots.txt", "Crawl-delay 27h46m40s", "more than the 30s"}},
		{"Crawl-delay above a configured bound", map[string]http.HandlerFunc{"/robots.txt": robots("User-agent: *\nCrawl-delay: 10\n")}, "/films", Options{MaxCrawlDelay: 5e9},
			ReasonCrawlDelay, []string{"Crawl-delay 10s", "more than the 5s"}},
		{"SSRF guard", nil, "/films", Options{Guard: Guard{Allowed: []netip.Prefix{}}}, ReasonGuard, []string{"SSRF guard", "127.0.0.1", "127.0.0.0/8"}},
		{"body cap", map[string]http.HandlerFunc{"/films": html(strings.Repeat("x", 2048))}, "/films", Options{MaxBodyBytes: 1024},
			ReasonBodyCap, []string{"1024-byte body cap"}},
		{"too many redirects", map[string]http.HandlerFunc{"/films": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/films", http.StatusFound) }},
			"/films", Options{}, ReasonRedirects, []string{"more than 5 redirects"}},
		{"HTTP status", map[string]http.HandlerFunc{"/films": func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }}, "/films", Options{},
			ReasonStatus, []string{"answered 404 Not Found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pages atomic.Int64
			routes := map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) { pages.Add(1); html(page)(w, r) }}
			for p, h := range tt.routes {
				routes[p] = h
			}
			s := site(t, routes)
			u := tt.url
			if strings.HasPrefix(u, "/") {
				u = s.URL + u
			}
			f, _ := newFetcher(t, tt.opts)
			_, err := f.Get(t.Context(), u, Validators{})
			e, ok := errors.AsType[*Error](err)
			if !ok || e.Reason != tt.want {
				t.Fatalf("got %v (reason %q), want reason %q", err, ReasonOf(err), tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
			for _, internal := range []string{"dial ", "lookup ", "rate: ", "read tcp", "context deadline", ":53"} {
				if strings.Contains(err.Error(), internal) {
					t.Errorf("%q carries Go error text %q", err, internal)
				}
			}
			if pages.Load() != 0 {
				t.Error("the refused page was requested")
			}
		})
	}
}

// A Crawl-delay up to the bound is honoured: the host's rate slows to it.
func TestCrawlDelayUpToTheBoundIsHonoured(t *testing.T) {
	s := site(t, map[string]http.HandlerFunc{
		"/robots.txt": func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "User-agent: *\nCrawl-delay: 30\n") },
		"/":           html(page),
	})
	f, _ := newFetcher(t, Options{})
	u, _ := url.Parse(s.URL + "/")
	if err := f.allowed(t.Context(), u); err != nil { // reads robots.txt; the page would wait 30s
		t.Fatalf("a Crawl-delay of exactly the bound: %v", err)
	}
	if got := f.limiter(strings.TrimPrefix(s.URL, "http://")).Limit(); got*30 < 0.999 || got*30 > 1.001 {
		t.Fatalf("limit %v, want one request per 30s", got)
	}
}
