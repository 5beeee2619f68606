package scraper

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/profile"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

// Fetcher gets one HTML page.
type Fetcher interface {
	Get(ctx context.Context, url string) (*fetch.Page, error)
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
	// Start opens a subsegment; the returned function closes it.
	Start(ctx context.Context, name string) (context.Context, func(error))
	// Header is the trace header of the (sub)segment in ctx, or "".
	Header(ctx context.Context) string
	// Resume continues the trace of header in a new segment (a run's
	// continuation in another invocation).
	Resume(ctx context.Context, header string) (context.Context, func(error))
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
	Totals      Report    `json:"totals"`
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
	RunID            string         `json:"runId"`
	TraceID          string         `json:"traceId,omitempty"`
	Status           RunStatus      `json:"status"`
	Profile          string         `json:"profile,omitempty"`
	PagesFetched     int            `json:"pagesFetched"`
	MoviesParsed     int            `json:"moviesParsed"`
	RecordsPublished int            `json:"recordsPublished"`
	RecordsRejected  int            `json:"recordsRejected"`
	RejectedByReason map[string]int `json:"rejectedByReason"`
	PublishFailures  int            `json:"publishFailures"`
	// RefusedByReason counts the links not followed (a Refusal) and the pages
	// not fetched (a fetch.Reason), by reason.
	RefusedByReason map[string]int `json:"refusedByReason"`
	// Errors say what stopped the run, for people: no Go error text.
	Errors     []string `json:"errors"`
	DurationMs int64    `json:"durationMs"`
	Continues  bool     `json:"continues"`
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
	Log      *slog.Logger
	Now      func() time.Time
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
		if !s.now().Before(until) {
			rep.Continues = true
			next := st
			next.Totals = rep
			next.Profile = profileName(prof)
			return s.finish(rep, st, RunContinuing), &next
		}
		if ctx.Err() != nil {
			rep.Errors = append(rep.Errors, stopped(ctx.Err()))
			break
		}
		var ok bool
		if prof, ok = s.step(ctx, &st, &rep, sc, prof); !ok {
			break
		}
	}
	status := RunCompleted
	if rep.PagesFetched == 0 {
		status = RunFailed
	}
	return s.finish(rep, st, status), nil
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

// step scrapes st.Next, publishes its records and moves st on to the page's
// next link when the scope allows it. It reports false when the page failed.
func (s *Scraper) step(ctx context.Context, st *State, rep *Report, sc scope, prof *profile.Profile) (*profile.Profile, bool) {
	pageURL := st.Next
	if norm, err := NormalizeURL(pageURL); err == nil {
		st.Visited.Add(norm)
	}
	page, p, err := s.page(ctx, pageURL, prof, st.Pages, &st.Visited)
	st.Pages++
	if err != nil {
		if r := fetch.ReasonOf(err); r != "" {
			rep.RefusedByReason[string(r)]++
		}
		rep.Errors = append(rep.Errors, err.Error())
		s.log().WarnContext(ctx, "page failed", "runId", st.RunID, "url", pageURL, "error", err)
		return prof, false
	}
	rep.Profile = p.Name
	rep.PagesFetched++
	rep.MoviesParsed += len(page.Movies)
	published, rejected, failed := s.publishPage(ctx, *st, pageURL, page)
	rep.RecordsPublished += published
	rep.PublishFailures += failed
	for reason, n := range rejected {
		rep.RecordsRejected += n
		rep.RejectedByReason[reason] += n
	}
	st.Next = ""
	if why := sc.follow(page.Next, st.Depth, &st.Visited); why != "" {
		s.refuse(ctx, rep, *st, page.Next, why)
	} else if page.Next != "" {
		st.Next = page.Next
		st.Depth++
	}
	return p, true
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

// page fetches and parses one page, detecting the layout when prof is nil.
// The page's URL after redirects is marked visited.
func (s *Scraper) page(ctx context.Context, pageURL string, prof *profile.Profile, n int, visited *Visited) (profile.Page, *profile.Profile, error) {
	ctx, end := s.Tracer.Start(ctx, "GET page "+strconv.Itoa(n+1))
	var err error
	defer func() { end(err) }()
	var fetched *fetch.Page
	if fetched, err = s.Fetcher.Get(ctx, pageURL); err != nil {
		return profile.Page{}, nil, err
	}
	if norm, nerr := NormalizeURL(fetched.URL.String()); nerr == nil {
		visited.Add(norm)
	}
	var doc *profile.Document
	if doc, err = profile.ReadDocument(bytes.NewReader(fetched.Body), fetched.URL); err != nil {
		return profile.Page{}, nil, err
	}
	if prof == nil {
		var page profile.Page
		prof, page, err = profile.Detect(doc, profile.Builtins())
		if err != nil {
			err = fmt.Errorf("%s: %w", pageURL, err)
		}
		return page, prof, err
	}
	page, err := prof.Extract(doc)
	if err != nil {
		err = fmt.Errorf("%s: %w", pageURL, err)
	}
	return page, prof, err
}

// publishPage validates a page's movies, publishes the valid records and
// parks the others. It returns the counts.
func (s *Scraper) publishPage(ctx context.Context, st State, pageURL string, page profile.Page) (published int, rejected map[string]int, failures int) {
	rejected = map[string]int{}
	pctx, end := s.Tracer.Start(ctx, "PutRecords page "+strconv.Itoa(st.Pages))
	defer func() { end(nil) }()
	prov := Provenance{SourceURL: pageURL, ScrapedAt: s.now(), RunID: st.RunID, TraceHeader: validHeader(s.Tracer.Header(pctx))}
	var entries []publish.Entry
	var parked []ErrorRecord
	for i, m := range page.Movies {
		rec, err := NewRecord(m, prov)
		if err != nil {
			e := newErrorRecord(st.RunID, st.Pages-1, i, prov, rec, err)
			parked = append(parked, e)
			rejected[e.Reason]++
			s.log().LogAttrs(ctx, slog.LevelWarn, "record rejected", append(prov.logAttrs(e.MovieID),
				slog.String("errorId", e.ErrorID), slog.String("reason", e.Reason), slog.String("detail", e.Message))...)
			continue
		}
		entries = append(entries, publish.Entry{Key: rec.ID, Data: rec.Data})
	}
	published, failed := s.Publisher.Publish(pctx, entries)
	s.logPublished(ctx, prov, entries, failed)
	for _, f := range failed {
		s.log().LogAttrs(ctx, slog.LevelError, "record not published", append(prov.logAttrs(f.Key), slog.String("reason", f.Reason))...)
		parked = append(parked, publishFailed(st.RunID, prov, f))
	}
	if len(parked) > 0 {
		if err := s.Parker.Park(ctx, parked); err != nil {
			// Nothing is dropped silently: the log holds every record.
			for _, e := range parked {
				s.log().LogAttrs(ctx, slog.LevelError, "record not parked", append(prov.logAttrs(e.MovieID), slog.String("errorId", e.ErrorID),
					slog.String("reason", e.Reason), slog.String("payload", e.Payload), slog.String("error", err.Error()))...)
			}
		}
	}
	return published, rejected, len(failed)
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

// validHeader keeps a trace header only when the contract's traceHeader
// pattern accepts it (an undecided sampling reads "Sampled=?").
func validHeader(h string) string {
	if h == "" || !traceHeaderPattern().MatchString(h) {
		return ""
	}
	return h
}

// traceHeaderPattern is movie-record.v1's own pattern for traceHeader.
var traceHeaderPattern = sync.OnceValue(func() *regexp.Regexp {
	raw, err := contracts.Schema(contracts.MovieRecordV1)
	if err != nil {
		panic(err) // embedded: a build error
	}
	var s struct {
		Defs struct {
			TraceHeader struct {
				Pattern string `json:"pattern"`
			} `json:"traceHeader"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.Defs.TraceHeader.Pattern == "" {
		panic(fmt.Sprintf("movie-record.v1 has no traceHeader pattern: %v", err))
	}
	return regexp.MustCompile(s.Defs.TraceHeader.Pattern)
})
