package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"syscall"
	"time"
)

// Reason is why a page was refused or could not be fetched: a stable code for
// run reports, metrics and logs.
type Reason string

// The reasons. Each names the real cause, so that an unresolvable host is not
// reported as a robots.txt refusal.
const (
	ReasonBadURL            Reason = "bad-url"
	ReasonScheme            Reason = "scheme"
	ReasonDNS               Reason = "dns"
	ReasonConnRefused       Reason = "connection-refused"
	ReasonTimeout           Reason = "timeout"
	ReasonNetwork           Reason = "network"
	ReasonGuard             Reason = "ssrf-guard"
	ReasonRobotsDisallow    Reason = "robots-disallow"
	ReasonRobotsTooLarge    Reason = "robots-too-large"
	ReasonRobotsUnavailable Reason = "robots-unavailable"
	ReasonCrawlDelay        Reason = "crawl-delay-too-long"
	// ReasonDeferred is a page the deadline (the API's budget, or the
	// invocation's) came before: not a refusal, the page is fetched again
	// from the error's RetryAt, in a later invocation.
	ReasonDeferred    Reason = "deferred"
	ReasonBodyCap     Reason = "body-cap"
	ReasonRedirects   Reason = "too-many-redirects"
	ReasonStatus      Reason = "http-status"
	ReasonContentType Reason = "content-type"
	ReasonCharset     Reason = "charset"
)

// Error is a page the fetcher refused or could not get. Its message is
// written for people, names the URL and the cause, and never carries Go error
// text (dial errors, resolver addresses): it may be shown to API callers.
// Cause, for logs, holds the underlying error.
type Error struct {
	Reason Reason
	URL    string // redacted
	Detail string
	Cause  error
	// RetryAt is when a deferred page may be fetched again (its rate
	// limit's next slot, or its answer's Retry-After).
	RetryAt time.Time
}

func (e *Error) Error() string { return e.URL + ": " + e.Detail }

// Unwrap returns the cause, so that errors.As finds a *StatusError or an
// *ErrRefusedAddress.
func (e *Error) Unwrap() error { return e.Cause }

// LogValue logs the reason, the URL, the detail and the cause.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("reason", string(e.Reason)), slog.String("url", e.URL), slog.String("detail", e.Detail)}
	if e.Cause != nil {
		attrs = append(attrs, slog.String("cause", e.Cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

// ReasonOf is err's reason, or "" when err is not an *Error.
func ReasonOf(err error) Reason {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	return ""
}

func refuse(r Reason, u *url.URL, cause error, format string, args ...any) *Error {
	return &Error{Reason: r, URL: u.Redacted(), Detail: fmt.Sprintf(format, args...), Cause: cause}
}

// deferred is a page the deadline came before, to fetch again from at.
func deferred(u *url.URL, at time.Time, cause error, format string, args ...any) *Error {
	e := refuse(ReasonDeferred, u, cause, format, args...)
	e.RetryAt = at
	return e
}

// ended is the error of a fetch whose context ended: deferred when its
// deadline passed, the context's error when it was cancelled.
func ended(ctx context.Context, u *url.URL) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return deferred(u, time.Now(), ctx.Err(), "the deadline came before the answer")
	}
	return ctx.Err()
}

// transportError names the cause of a failed request: our own refusal (a
// redirect checked again), the SSRF guard, DNS, a refused connection, a
// timeout, or another network failure.
func transportError(u *url.URL, err error) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	if ra, ok := errors.AsType[*ErrRefusedAddress](err); ok {
		return refuse(ReasonGuard, u, err, "%s", ra.Error())
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok {
		if de.IsNotFound {
			return refuse(ReasonDNS, u, err, "DNS failure: the host %s has no address", de.Name)
		}
		return refuse(ReasonDNS, u, err, "DNS failure: the name %s could not be resolved", de.Name)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return refuse(ReasonConnRefused, u, err, "connection refused by %s", u.Host)
	}
	if ne, ok := errors.AsType[net.Error](err); (ok && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded) {
		return refuse(ReasonTimeout, u, err, "timeout: no complete answer in time")
	}
	return refuse(ReasonNetwork, u, err, "the connection to %s failed", u.Host)
}
