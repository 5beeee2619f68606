package scraper

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/profile"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

// Fetcher gets one HTML page.
type Fetcher interface {
	Get(ctx context.Context, url string, v fetch.Validators) (*fetch.Page, error)
}

// Publisher puts records on the stream and reports those it could not.
type Publisher interface {
	Publish(ctx context.Context, entries []publish.Entry) (published int, failed []publish.Failure)
}

// Parker writes records that will not be published to the error table.
type Parker interface {
	Park(ctx context.Context, rs []ErrorRecord) error
}

// Tracer opens the subsegments of a run and gives the header that records
// carry so that the processor continues the trace.
type Tracer interface {
	// Start opens a subsegment annotated with the run id; the returned
	// function closes it.
	Start(ctx context.Context, name, runID string) (context.Context, func(error))
	// Header is the trace header of the (sub)segment in ctx, or "".
	Header(ctx context.Context) string
	// Resume continues the trace of header in a new segment annotated with
	// the run id (a run's continuation in another invocation).
	Resume(ctx context.Context, header, runID string) (context.Context, func(error))
}

// State is where a run stands: enough to continue it in another invocation.
type State struct {
	RunID       string    `json:"runId"`
	TraceHeader string    `json:"traceHeader,omitempty"`
	Start       string    `json:"start,omitempty"` // the run's first page; set by Run
	Next        string    `json:"next"`
	Depth       int       `json:"depth"` // links followed from Start to Next
	Visited     Visited   `json:"visited"`
	Pages       int       `json:"pages"`
	MaxPages    int       `json:"maxPages"`
	Profile     string    `json:"profile,omitempty"` // detected on the first page
	Started     time.Time `json:"started"`
	// NotBefore is when Next may be fetched: a page deferred by the
	// deadline waits for its rate limit's slot or its Retry-After.
	NotBefore time.Time `json:"notBefore,omitzero"`
	// Force publishes every page, changed or not.
	Force bool `json:"force,omitempty"`
	// Hop counts the hand-overs before this invocation, so that a copy of
	// a continuation event delivered twice is known (Runs.Begin).
	Hop int `json:"hop,omitempty"`
	// Deferrals counts the invocations in a row that deferred Next.
	Deferrals int    `json:"deferrals,omitempty"`
	Totals    Report `json:"totals"`
	// Traced counts the records published so far with a sampled trace
	// header, so that a continuation keeps to the run's bound.
	Traced int `json:"traced,omitempty"`
}

// RunStatus is where a run ended up, as its report says.
type RunStatus string

// The run states.
const (
	RunCompleted  RunStatus = "completed"  // the site ended, or a limit was reached
	RunContinuing RunStatus = "continuing" // handed on to an asynchronous invocation
	RunFailed     RunStatus = "failed"     // no page was scraped, or the run could not go on
)

// Report is a run's account, as the API answers it.
type Report struct {
	RunID        string    `json:"runId"`
	TraceID      string    `json:"traceId,omitempty"`
	Status       RunStatus `json:"status"`
	Profile      string    `json:"profile,omitempty"`
	PagesFetched int       `json:"pagesFetched"`
	// PagesUnchanged counts the pages fetched but not published: their
	// movies are those the last run published (a 304, or the same hash).
	PagesUnchanged   int            `json:"pagesUnchanged"`
	MoviesParsed     int            `json:"moviesParsed"`
	RecordsPublished int            `json:"recordsPublished"`
	RecordsRejected  int            `json:"recordsRejected"`
	RejectedByReason map[string]int `json:"rejectedByReason"`
	PublishFailures  int            `json:"publishFailures"`
	// RefusedByReason counts the links not followed (a Refusal) and the pages
	// not fetched (a fetch.Reason), by reason.
	RefusedByReason map[string]int `json:"refusedByReason"`
	// Errors say what stopped the run, for people: no Go error text.
	Errors []string `json:"errors"`
	// ErrorCode says why a failed run failed, as run.v1's errorCode does.
	ErrorCode  string `json:"errorCode,omitempty"`
	DurationMs int64  `json:"durationMs"`
	Continues  bool   `json:"continues"`
}

// Scraper runs scrapes.
type Scraper struct {
	Fetcher   Fetcher
	Publisher Publisher
	Parker    Parker
	Tracer    Tracer
	// Profile is the layout; nil detects it on the first page.
	Profile *profile.Profile
	// AllowedHosts may be crawled (host or host:port) besides the start
	// URL's host, which always may.
	AllowedHosts []string
	// MaxDepth bounds the links followed from the start URL (≤ 0:
	// DefaultMaxDepth).
	MaxDepth int
	// Pages remembers the pages published, to skip those unchanged (nil:
	// every page is published).
	Pages Pages
	// TracePerPage and TracePerRun bound the records of a page and of a run
	// that carry a sampled trace header (the first ones of each page); the
	// others carry the run's trace id with Sampled=0. Zero traces none.
	TracePerPage, TracePerRun int
	Log                       *slog.Logger
	Now                       func() time.Time
}

// Run scrapes from st.Next until the site ends, st.MaxPages pages are done,
// or until passes; then it returns the report and, when pages are left, the
// state to continue from. Each page is published whole before the next one
// is fetched, so a continuation neither skips nor repeats a page. A next link
// is followed only to a page not yet visited in the run, on an allowed host,
// within the depth limit; every link refused and every page the fetcher
// refused is counted in the report by reason.
func (s *Scraper) Run(ctx context.Context, st State, until time.Time) (Report, *State) {
	rep := openReport(st)
	prof, err := s.profileFor(st.Profile)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
		return s.finish(rep, st, RunFailed), nil
	}
	st.Start = cmp.Or(st.Start, st.Next)
	sc, err := newScope(st.Start, s.AllowedHosts, s.MaxDepth)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
		return s.finish(rep, st, RunFailed), nil
	}
	for st.Next != "" {
		if st.Pages >= st.MaxPages {
			s.refuse(ctx, &rep, st, st.Next, RefusedPageLimit)
			break
		}
		now := s.now()
		if !s.waitUntil(ctx, now, st.NotBefore, until) {
			return s.handOver(rep, st, prof)
		}
		if ctx.Err() != nil {
			rep.Errors = append(rep.Errors, stopped(ctx.Err()))
			break
		}
		// The fetch ends by until, in real time (s.now may be a test's
		// clock): a page the deadline cuts short is deferred.
		fetchCtx, cancel := context.WithTimeout(ctx, until.Sub(later(now, st.NotBefore)))
		var out outcome
		prof, out = s.step(ctx, fetchCtx, &st, &rep, sc, prof)
		cancel()
		if out == pageDeferred {
			return s.handOver(rep, st, prof)
		}
		if out == pageFailed {
			break
		}
	}
	status := RunCompleted
	if rep.PagesFetched == 0 {
		status = RunFailed
	}
	return s.finish(rep, st, status), nil
}

// waitUntil waits from now for notBefore (a deferred page's retry time)
// when it comes before until; it reports false when until comes first,
// and the run must be handed on.
func (s *Scraper) waitUntil(ctx context.Context, now, notBefore, until time.Time) bool {
	switch {
	case !now.Before(until) || !notBefore.Before(until):
		return false
	case notBefore.After(now):
		t := time.NewTimer(notBefore.Sub(now))
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
	return true
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// handOver is the report of a run that goes on in another invocation, and
// the state it goes on from.
func (s *Scraper) handOver(rep Report, st State, prof *profile.Profile) (Report, *State) {
	rep.Continues = true
	next := st
	next.Hop++
	next.Totals = rep
	next.Profile = profileName(prof)
	return s.finish(rep, st, RunContinuing), &next
}

func openReport(st State) Report {
	rep := st.Totals
	rep.RunID = st.RunID
	if rep.RejectedByReason == nil {
		rep.RejectedByReason = map[string]int{}
	}
	if rep.RefusedByReason == nil {
		rep.RefusedByReason = map[string]int{}
	}
	if rep.Errors == nil {
		rep.Errors = []string{}
	}
	return rep
}

// maxDeferrals is how many invocations in a row may defer a page before it
// fails: the one that answers the API, whose budget is short, and two
// asynchronous ones of up to 15 minutes each, more than any page's
// retries take (SCRAPE_TIMEOUT, MaxRetryWait).
const maxDeferrals = 3

// outcome is how a step ended.
type outcome int

const (
	pageDone     outcome = iota
	pageFailed           // the run ends
	pageDeferred         // the deadline came first: the next invocation fetches it
)

// step scrapes st.Next, publishes its records and moves st on to the page's
// next link when the scope allows it. The page is fetched within fetchCtx;
// its records are published within ctx, so that a page fetched is
// published whole.
func (s *Scraper) step(ctx, fetchCtx context.Context, st *State, rep *Report, sc scope, prof *profile.Profile) (*profile.Profile, outcome) {
	pageURL := st.Next
	if norm, err := NormalizeURL(pageURL); err == nil {
		st.Visited.Add(norm)
	}
	mem := s.recall(ctx, *st, pageURL)
	sp, err := s.page(fetchCtx, st.RunID, pageURL, prof, st.Pages, &st.Visited, mem)
	if e, ok := errors.AsType[*fetch.Error](err); ok && e.Reason == fetch.ReasonDeferred && ctx.Err() == nil {
		if st.Deferrals++; st.Deferrals < maxDeferrals {
			st.NotBefore = e.RetryAt
			s.log().InfoContext(ctx, "page deferred to the next invocation", "runId", st.RunID, "url", pageURL, "retryAt", e.RetryAt, "detail", e.Detail)
			return prof, pageDeferred
		}
		err = &fetch.Error{Reason: fetch.ReasonTimeout, URL: e.URL, Cause: e,
			Detail: fmt.Sprintf("timeout: the page could not be fetched within %d invocations in a row", maxDeferrals)}
	}
	st.Pages++
	st.NotBefore, st.Deferrals = time.Time{}, 0
	if err != nil {
		if r := fetch.ReasonOf(err); r != "" && r != fetch.ReasonDeferred {
			rep.RefusedByReason[string(r)]++
		}
		rep.Errors = append(rep.Errors, err.Error())
		s.log().WarnContext(ctx, "page failed", "runId", st.RunID, "url", pageURL, "error", err)
		return prof, pageFailed
	}
	page, p := sp.page, sp.prof
	rep.Profile = p.Name
	rep.PagesFetched++
	rep.MoviesParsed += len(page.Movies)
	seen := PageMemory{Validators: sp.validators, Hash: sp.hash, Next: page.Next, Profile: profileKey(p)}
	if sp.unchanged(mem) {
		rep.PagesUnchanged++
		s.log().InfoContext(ctx, "page unchanged: not published", "runId", st.RunID, "url", pageURL, "notModified", sp.notModified)
		s.remember(ctx, pageURL, seen)
	} else {
		published, rejected, failed := s.publishPage(ctx, st, pageURL, page)
		rep.RecordsPublished += published
		rep.PublishFailures += failed
		for reason, n := range rejected {
			rep.RecordsRejected += n
			rep.RejectedByReason[reason] += n
		}
		if failed > 0 { // a page with records not published is published again next time
			seen = PageMemory{}
		}
		s.remember(ctx, pageURL, seen)
	}
	st.Next = ""
	if why := sc.follow(page.Next, st.Depth, &st.Visited); why != "" {
		s.refuse(ctx, rep, *st, page.Next, why)
	} else if page.Next != "" {
		st.Next = page.Next
		st.Depth++
	}
	return p, pageDone
}

// refuse counts a link not followed, and logs it.
func (s *Scraper) refuse(ctx context.Context, rep *Report, st State, link string, why Refusal) {
	rep.RefusedByReason[string(why)]++
	s.log().InfoContext(ctx, "link not followed", "runId", st.RunID, "url", link, "reason", why, "depth", st.Depth)
}

// stopped says why a run stopped when its context ended.
func stopped(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "stopped: deadline exceeded, the invocation's time ran out"
	}
	return "stopped: the invocation was cancelled"
}

func (s *Scraper) finish(rep Report, st State, status RunStatus) Report {
	rep.Status = status
	if status == RunFailed && rep.ErrorCode == "" {
		rep.ErrorCode = ErrorNoPages
	}
	rep.DurationMs = s.now().Sub(st.Started).Milliseconds()
	return rep
}

func (s *Scraper) profileFor(name string) (*profile.Profile, error) {
	if s.Profile != nil || name == "" {
		return s.Profile, nil
	}
	return profile.Builtin(name)
}

func profileName(p *profile.Profile) string {
	if p == nil {
		return ""
	}
	return p.Name
}

func (s *Scraper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scraper) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}
