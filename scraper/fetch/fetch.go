// Package fetch gets web pages politely and safely: robots.txt honoured for
// our User-Agent, a per-host rate limit slowed by robots.txt's Crawl-delay up
// to a bound, 429/503 answered with Retry-After and backoff, connect and total
// timeouts, a body-size cap, a content-type check, charset decoding, at most
// five redirects each checked again, and an SSRF guard at dial time that
// refuses special-purpose addresses unless allowed.
//
// Every failure is an *Error whose Reason names the real cause (DNS failure,
// connection refused, robots.txt disallow, robots.txt too large or
// unavailable, Crawl-delay above the bound, SSRF guard with the address, body
// cap, too many redirects, …) and whose message carries no Go error text
// (TestRefusalsNameTheirCause). A cancelled context is returned as its own
// error, unwrapped; a deadline that comes first defers the page
// (ReasonDeferred).
package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html/charset"
	"golang.org/x/time/rate"
)

// Options configure a Fetcher. Zero values take the defaults in brackets.
type Options struct {
	UserAgent      string        // identifying User-Agent [moviepipe/1.0 (+https://github.com/moviepipe/moviepipe)]
	Rate           float64       // requests per second per host [1]
	ConnectTimeout time.Duration // [5s]
	Timeout        time.Duration // one request, headers to last byte [20s]
	MaxBodyBytes   int64         // [5 MiB]
	MaxRedirects   int           // [5]
	MaxRetries     int           // retries after 429, 503 or a 5xx [3]
	MaxRetryWait   time.Duration // the longest Retry-After honoured [30s]
	// MaxCrawlDelay is the longest robots.txt Crawl-delay honoured [30s]. A
	// site that asks for more is refused at once (ReasonCrawlDelay) rather
	// than crawled at a pace nobody waits for.
	MaxCrawlDelay time.Duration
	Guard         Guard
}

// DefaultMaxCrawlDelay is the longest Crawl-delay honoured by default.
const DefaultMaxCrawlDelay = 30 * time.Second

// DefaultUserAgent names us and says where to read about us.
const DefaultUserAgent = "moviepipe/1.0 (+https://github.com/moviepipe/moviepipe)"

// Fetcher fetches pages. It is safe for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	robots   map[string]robots
	// sleep waits, for tests; it returns early when ctx ends.
	sleep func(ctx context.Context, d time.Duration) error
}

// Page is a fetched HTML page, decoded to UTF-8, with the validators its
// answer gave.
type Page struct {
	URL  *url.URL // after redirects
	Body []byte
	Validators
	// NotModified is a conditional request answered 304: no body, the page
	// is as it was when it had the validators sent.
	NotModified bool
}

// Validators are what an answer said about its version (RFC 9110 8.8):
// sent back, they make a request conditional.
type Validators struct {
	ETag         string
	LastModified string
}

// StatusError is an answer other than 200 OK (the cause of an Error of
// ReasonStatus).
type StatusError struct {
	URL    string
	Code   int
	Status string
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s answered %s", e.URL, e.Status) }

// New returns a Fetcher.
func New(o Options) *Fetcher {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Rate <= 0 {
		o.Rate = 1
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 5 << 20
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	} else if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 30 * time.Second
	}
	if o.MaxCrawlDelay <= 0 {
		o.MaxCrawlDelay = DefaultMaxCrawlDelay
	}
	f := &Fetcher{opts: o, limiters: map[string]*rate.Limiter{}, robots: map[string]robots{}, sleep: sleepCtx}
	dialer := &net.Dialer{Timeout: o.ConnectTimeout, Control: o.Guard.control}
	f.client = &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would connect for us, past the guard
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   o.ConnectTimeout,
			ResponseHeaderTimeout: o.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       30 * time.Second,
		},
		CheckRedirect: f.checkRedirect,
	}
	return f
}

type ctxKey struct{}

// checkRedirect bounds redirects and checks each target as a new request:
// scheme, robots.txt and rate limit (the guard checks its address at dial).
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.opts.MaxRedirects {
		return refuse(ReasonRedirects, via[0].URL, nil, "more than %d redirects", f.opts.MaxRedirects)
	}
	if err := f.admit(req.Context(), req.URL); err != nil {
		return err
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	return nil
}

// admit checks a URL's scheme and robots.txt, then waits for the host's rate
// limit.
func (f *Fetcher) admit(ctx context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return refuse(ReasonScheme, u, nil, "only http and https are fetched")
	}
	if ctx.Value(ctxKey{}) == nil { // not while fetching robots.txt itself
		if err := f.allowed(ctx, u); err != nil {
			return err
		}
	}
	r := f.limiter(u.Host).Reserve()
	delay := r.Delay()
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(delay).After(dl) {
		r.Cancel()
		return deferred(u, time.Now().Add(delay), nil, "the rate limit for %s allows the next request after the deadline", u.Host)
	}
	if err := sleepCtx(ctx, delay); err != nil {
		r.Cancel()
		return ended(ctx, u)
	}
	return nil
}

func (f *Fetcher) limiter(host string) *rate.Limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.limiters[host]
	if !ok {
		l = rate.NewLimiter(rate.Limit(f.opts.Rate), 1)
		f.limiters[host] = l
	}
	return l
}

// Get fetches an HTML page. With validators, the request is conditional
// (If-None-Match, If-Modified-Since) and a 304 answer is a Page that is
// NotModified.
func (f *Fetcher) Get(ctx context.Context, rawURL string, v Validators) (*Page, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, &Error{Reason: ReasonBadURL, URL: rawURL, Detail: "not a URL", Cause: err}
	}
	a, err := f.get(ctx, u, "text/html,application/xhtml+xml;q=0.9", v)
	if err != nil {
		return nil, err
	}
	if a.notModified {
		return &Page{URL: a.final, Validators: v, NotModified: true}, nil
	}
	mt, _, _ := mime.ParseMediaType(a.ctype)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, refuse(ReasonContentType, a.final, nil, "not an HTML page: its type is %q", a.ctype)
	}
	r, err := charset.NewReader(bytes.NewReader(a.body), a.ctype)
	if err != nil {
		return nil, refuse(ReasonCharset, a.final, err, "its character set (%q) cannot be decoded", a.ctype)
	}
	utf8, err := io.ReadAll(r)
	if err != nil {
		return nil, refuse(ReasonCharset, a.final, err, "its text cannot be decoded as %q", a.ctype)
	}
	return &Page{URL: a.final, Body: utf8, Validators: a.validators}, nil
}

// answer is a request's useful answer: 200 with its body, or 304.
type answer struct {
	body        []byte
	final       *url.URL
	ctype       string
	validators  Validators
	notModified bool
}

// get fetches u with retries after 429, 503 and other 5xx answers.
func (f *Fetcher) get(ctx context.Context, u *url.URL, accept string, v Validators) (answer, error) {
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		a, wait, err := f.once(ctx, u, accept, v)
		if err == nil || wait < 0 || attempt == f.opts.MaxRetries {
			return a, err
		}
		if wait == 0 {
			wait = backoff + rand.N(backoff) // exponential, with jitter
			backoff *= 2
		}
		if wait > f.opts.MaxRetryWait {
			return answer{}, refuse(ReasonStatus, u, err, "%s, and asks to wait %s before a retry, longer than the %s bound", statusText(err), wait, f.opts.MaxRetryWait)
		}
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			return answer{}, deferred(u, time.Now().Add(wait), err, "%s; the retry in %s comes after the deadline", statusText(err), wait.Round(time.Millisecond))
		}
		if err := f.sleep(ctx, wait); err != nil {
			return answer{}, ended(ctx, u)
		}
	}
}

// once makes one request. wait is how long to wait before retrying: -1 for
// never, 0 for the default backoff.
func (f *Fetcher) once(ctx context.Context, u *url.URL, accept string, v Validators) (a answer, wait time.Duration, err error) {
	if err := f.admit(ctx, u); err != nil {
		return answer{}, -1, err
	}
	rctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, -1, refuse(ReasonBadURL, u, err, "not a URL that can be requested")
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", accept)
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, -1, ended(ctx, u)
		}
		e := transportError(u, err)
		if e.Reason == ReasonTimeout {
			e.Detail = fmt.Sprintf("timeout: no answer within %s (SCRAPE_TIMEOUT)", f.opts.Timeout)
		}
		if ue, ok := errors.AsType[*url.Error](err); ok && ue.Timeout() {
			return answer{}, 0, e
		}
		return answer{}, -1, e
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && v != (Validators{}) {
		return answer{final: resp.Request.URL, notModified: true}, 0, nil
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, retryWait(resp), f.statusError(resp)
	}
	body, err := f.readBody(u, resp)
	if err != nil {
		if ctx.Err() != nil {
			return answer{}, -1, ended(ctx, u)
		}
		if ReasonOf(err) == ReasonBodyCap {
			return answer{}, -1, err
		}
		return answer{}, 0, err
	}
	return answer{body: body, final: resp.Request.URL, ctype: resp.Header.Get("Content-Type"),
		validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}, 0, nil
}

// statusError is an answer other than 200, with the detail drained.
func (f *Fetcher) statusError(resp *http.Response) error {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	serr := &StatusError{URL: resp.Request.URL.Redacted(), Code: resp.StatusCode, Status: resp.Status}
	return refuse(ReasonStatus, resp.Request.URL, serr, "answered %s", resp.Status)
}

// retryWait is how long to wait before retrying an answer: its Retry-After
// for 429 and 503, the default backoff (0) for another 5xx, never (-1) for
// the rest.
func retryWait(resp *http.Response) time.Duration {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		return retryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode >= 500:
		return 0
	default:
		return -1
	}
}

// readBody reads a 200 answer's body up to the cap.
func (f *Fetcher) readBody(u *url.URL, resp *http.Response) ([]byte, error) {
	if resp.ContentLength > f.opts.MaxBodyBytes {
		return nil, refuse(ReasonBodyCap, u, nil, "body too large: the answer declares %d bytes, more than the %d-byte body cap (SCRAPE_MAX_BODY_BYTES)", resp.ContentLength, f.opts.MaxBodyBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBodyBytes+1))
	if err != nil {
		e := transportError(u, err)
		if e.Reason == ReasonTimeout {
			e.Detail = fmt.Sprintf("timeout: request deadline exceeded, the body still arriving after %s (SCRAPE_TIMEOUT)", f.opts.Timeout)
		}
		return nil, e
	}
	if int64(len(body)) > f.opts.MaxBodyBytes {
		return nil, refuse(ReasonBodyCap, u, nil, "body too large: the answer is larger than the %d-byte body cap (SCRAPE_MAX_BODY_BYTES)", f.opts.MaxBodyBytes)
	}
	return body, nil
}

// statusText is the status an answer's error reports, e.g. "answered 429 Too
// Many Requests".
func statusText(err error) string {
	if se, ok := errors.AsType[*StatusError](err); ok {
		return "answered " + se.Status
	}
	return "failed"
}

// retryAfter reads a Retry-After value: seconds or an HTTP date. 0 means the
// default backoff.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Millisecond)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), time.Millisecond)
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
