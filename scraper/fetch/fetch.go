// Package fetch gets web pages politely and safely: robots.txt honoured for
// our User-Agent, a per-host rate limit, 429/503 answered with Retry-After and
// backoff, connect and total timeouts, a body-size cap, a content-type check,
// charset decoding, at most five redirects each checked again, and an SSRF
// guard at dial time that refuses special addresses unless allowed.
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

	"github.com/temoto/robotstxt"
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
	Guard          Guard
}

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

// Page is a fetched HTML page, decoded to UTF-8.
type Page struct {
	URL  *url.URL // after redirects
	Body []byte
}

// Errors a caller can act on; each wraps the detail.
var (
	ErrDisallowed  = errors.New("disallowed by robots.txt")
	ErrTooLarge    = errors.New("body too large")
	ErrContentType = errors.New("not an HTML page")
	ErrStatus      = errors.New("unexpected HTTP status")
	ErrRedirects   = errors.New("too many redirects")
	ErrScheme      = errors.New("only http and https are fetched")
)

// StatusError is an answer other than 200 OK. It matches ErrStatus.
type StatusError struct {
	URL    string
	Code   int
	Status string
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s answered %s", e.URL, e.Status) }

// Is makes errors.Is(err, ErrStatus) true.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

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
		return fmt.Errorf("%w: more than %d", ErrRedirects, f.opts.MaxRedirects)
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
		return fmt.Errorf("%w: %s", ErrScheme, u.Redacted())
	}
	if ctx.Value(ctxKey{}) == nil { // not while fetching robots.txt itself
		ok, err := f.allowed(ctx, u)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", ErrDisallowed, u.Redacted())
		}
	}
	return f.limiter(u.Host).Wait(ctx)
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

// Get fetches an HTML page.
func (f *Fetcher) Get(ctx context.Context, rawURL string) (*Page, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("url %q: %w", rawURL, err)
	}
	body, final, ctype, err := f.get(ctx, u, "text/html,application/xhtml+xml;q=0.9")
	if err != nil {
		return nil, err
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	if mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, fmt.Errorf("%w: %s is %q", ErrContentType, final.Redacted(), ctype)
	}
	r, err := charset.NewReader(bytes.NewReader(body), ctype)
	if err != nil {
		return nil, fmt.Errorf("charset of %s: %w", final.Redacted(), err)
	}
	utf8, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", final.Redacted(), err)
	}
	return &Page{URL: final, Body: utf8}, nil
}

// get fetches u with retries after 429, 503 and other 5xx answers.
func (f *Fetcher) get(ctx context.Context, u *url.URL, accept string) ([]byte, *url.URL, string, error) {
	backoff := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		body, final, ctype, wait, err := f.once(ctx, u, accept)
		if err == nil || wait < 0 || attempt == f.opts.MaxRetries {
			return body, final, ctype, err
		}
		if wait == 0 {
			wait = backoff + rand.N(backoff) // exponential, with jitter
			backoff *= 2
		}
		if wait > f.opts.MaxRetryWait {
			return nil, nil, "", fmt.Errorf("%w (the server asks to wait %s, longer than %s)", err, wait, f.opts.MaxRetryWait)
		}
		if err := f.sleep(ctx, wait); err != nil {
			return nil, nil, "", err
		}
	}
}

// once makes one request. wait is how long to wait before retrying: -1 for
// never, 0 for the default backoff.
func (f *Fetcher) once(ctx context.Context, u *url.URL, accept string) (body []byte, final *url.URL, ctype string, wait time.Duration, err error) {
	if err := f.admit(ctx, u); err != nil {
		return nil, nil, "", -1, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, "", -1, err
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", accept)
	resp, err := f.client.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok && ue.Timeout() {
			return nil, nil, "", 0, fmt.Errorf("fetch %s: timeout: %w", u.Redacted(), err)
		}
		return nil, nil, "", -1, fmt.Errorf("fetch %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		serr := &StatusError{URL: resp.Request.URL.Redacted(), Code: resp.StatusCode, Status: resp.Status}
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
			return nil, nil, "", retryAfter(resp.Header.Get("Retry-After"), time.Now()), serr
		case resp.StatusCode >= 500:
			return nil, nil, "", 0, serr
		default:
			return nil, nil, "", -1, serr
		}
	}
	if resp.ContentLength > f.opts.MaxBodyBytes {
		return nil, nil, "", -1, fmt.Errorf("%w: %s declares %d bytes, the cap is %d", ErrTooLarge, u.Redacted(), resp.ContentLength, f.opts.MaxBodyBytes)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, nil, "", 0, fmt.Errorf("read %s: %w", u.Redacted(), err)
	}
	if int64(len(body)) > f.opts.MaxBodyBytes {
		return nil, nil, "", -1, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, u.Redacted(), f.opts.MaxBodyBytes)
	}
	return body, resp.Request.URL, resp.Header.Get("Content-Type"), 0, nil
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

// allowed reads (once per host) and applies robots.txt for our User-Agent.
// A missing robots.txt (4xx) allows everything; an unreachable one (5xx,
// network error) disallows everything for this run, as crawlers do.
func (f *Fetcher) allowed(ctx context.Context, u *url.URL) (bool, error) {
	origin := u.Scheme + "://" + u.Host
	f.mu.Lock()
	g, ok := f.robots[origin]
	f.mu.Unlock()
	if !ok {
		g = f.readRobots(ctx, origin)
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		f.mu.Lock()
		f.robots[origin] = g
		f.mu.Unlock()
	}
	if g.refused != nil {
		return false, g.refused
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return g.data.TestAgent(path, productToken(f.opts.UserAgent)), nil
}

// robots is a host's robots.txt, or why the host may not be reached at all.
type robots struct {
	data    *robotstxt.RobotsData
	refused error
}

func (f *Fetcher) readRobots(ctx context.Context, origin string) robots {
	u, _ := url.Parse(origin + "/robots.txt")
	rctx := context.WithValue(ctx, ctxKey{}, true)
	body, _, _, err := f.get(rctx, u, "text/plain")
	if _, ok := errors.AsType[*ErrRefusedAddress](err); ok {
		return robots{refused: err}
	}
	var data *robotstxt.RobotsData
	switch {
	case err == nil:
		data, err = robotstxt.FromBytes(body)
		if err != nil {
			data, _ = robotstxt.FromStatusAndBytes(http.StatusInternalServerError, nil)
		}
	case isClientError(err):
		data, _ = robotstxt.FromStatusAndBytes(http.StatusNotFound, nil) // 4xx: no rules
	default:
		data, _ = robotstxt.FromStatusAndBytes(http.StatusInternalServerError, nil) // unreachable: no access
	}
	g := data.FindGroup(productToken(f.opts.UserAgent))
	if g.CrawlDelay > 0 {
		// A crawl delay slows our rate for this host, never speeds it up.
		host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
		if l := f.limiter(host); rate.Every(g.CrawlDelay) < l.Limit() {
			l.SetLimit(rate.Every(g.CrawlDelay))
		}
	}
	return robots{data: data}
}

func isClientError(err error) bool {
	se, ok := errors.AsType[*StatusError](err)
	return ok && se.Code >= 400 && se.Code < 500 && se.Code != http.StatusTooManyRequests
}

// productToken is the User-Agent's first word without its version:
// "moviepipe/1.0 (+…)" → "moviepipe".
func productToken(ua string) string {
	tok, _, _ := strings.Cut(ua, " ")
	tok, _, _ = strings.Cut(tok, "/")
	return tok
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
