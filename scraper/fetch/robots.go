package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/temoto/robotstxt"
	"golang.org/x/time/rate"
)

// robots is a host's robots.txt, or why the host may not be crawled at all.
type robots struct {
	data    *robotstxt.RobotsData
	refused error
}

// allowed reads (once per host) and applies robots.txt for our User-Agent.
// It returns nil, a ReasonRobotsDisallow *Error, the reason the whole host
// is refused (see readRobots), or the context's error.
func (f *Fetcher) allowed(ctx context.Context, u *url.URL) error {
	origin := &url.URL{Scheme: u.Scheme, Host: u.Host}
	f.mu.Lock()
	g, ok := f.robots[origin.String()]
	f.mu.Unlock()
	if !ok {
		var err error
		if g, err = f.readRobots(ctx, origin); err != nil {
			return err // the context ended: nothing learnt
		}
		f.mu.Lock()
		f.robots[origin.String()] = g
		f.mu.Unlock()
	}
	if g.refused != nil {
		return g.refused
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !g.data.TestAgent(path, productToken(f.opts.UserAgent)) {
		return refuse(ReasonRobotsDisallow, u, nil, "disallowed by robots.txt for %s", productToken(f.opts.UserAgent))
	}
	return nil
}

// readRobots fetches and reads a host's robots.txt (RFC 9309). A missing
// one (4xx) allows everything. The host is refused, with the real cause, when
// robots.txt cannot be reached (DNS failure, connection refused, SSRF guard,
// timeout: the page would fail the same way), answers 5xx or 429 (RFC 9309
// 2.3.1.4: treated as a complete disallow), is larger than the body cap, or
// asks for a Crawl-delay above the bound. It returns an error only when ctx
// ends or its deadline comes first.
func (f *Fetcher) readRobots(ctx context.Context, origin *url.URL) (robots, error) {
	u := origin.JoinPath("/robots.txt")
	a, err := f.get(context.WithValue(ctx, ctxKey{}, true), u, "text/plain", Validators{})
	if ctx.Err() != nil {
		return robots{}, ended(ctx, u)
	}
	if ReasonOf(err) == ReasonDeferred { // the deadline came first: nothing learnt
		return robots{}, err
	}
	body := a.body
	var data *robotstxt.RobotsData
	switch {
	case isClientError(err):
		data, err = robotstxt.FromStatusAndBytes(http.StatusNotFound, nil) // no rules
	case err != nil:
		return robots{refused: robotsFailed(u, err)}, nil
	default:
		data, err = robotstxt.FromBytes(body)
	}
	if err != nil {
		return robots{refused: refuse(ReasonRobotsUnavailable, u, err, "robots.txt cannot be read: the site is treated as disallowed")}, nil
	}
	g := data.FindGroup(productToken(f.opts.UserAgent))
	if g.CrawlDelay > f.opts.MaxCrawlDelay {
		return robots{refused: refuse(ReasonCrawlDelay, u, nil, "robots.txt asks for Crawl-delay %s, more than the %s this scraper waits between requests (SCRAPE_MAX_CRAWL_DELAY): the run stops rather than crawl that slowly",
			g.CrawlDelay, f.opts.MaxCrawlDelay)}, nil
	}
	if g.CrawlDelay > 0 {
		// A crawl delay slows our rate for this host, never speeds it up.
		if l := f.limiter(origin.Host); rate.Every(g.CrawlDelay) < l.Limit() {
			l.SetLimit(rate.Every(g.CrawlDelay))
		}
	}
	return robots{data: data}, nil
}

// robotsFailed is the refusal for a robots.txt that could not be fetched.
func robotsFailed(u *url.URL, err error) error {
	switch ReasonOf(err) {
	case ReasonBodyCap:
		return refuse(ReasonRobotsTooLarge, u, err, "robots.txt is larger than the body cap: the site is not crawled")
	case ReasonStatus:
		return refuse(ReasonRobotsUnavailable, u, err, "robots.txt %s: the site is treated as disallowed (RFC 9309)", statusText(err))
	case "":
		return refuse(ReasonRobotsUnavailable, u, err, "robots.txt could not be fetched: the site is treated as disallowed")
	}
	return err // DNS, connection refused, SSRF guard, timeout…: the page would fail the same way
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
