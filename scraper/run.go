package scraper

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
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
	Next        string    `json:"next"`
	Pages       int       `json:"pages"`
	MaxPages    int       `json:"maxPages"`
	Profile     string    `json:"profile,omitempty"` // detected on the first page
	Started     time.Time `json:"started"`
	Totals      Report    `json:"totals"`
}

// Report is a run's account, as the API answers it.
type Report struct {
	RunID            string         `json:"runId"`
	TraceID          string         `json:"traceId,omitempty"`
	Status           string         `json:"status"` // running, completed, continuing, failed
	Profile          string         `json:"profile,omitempty"`
	PagesFetched     int            `json:"pagesFetched"`
	MoviesParsed     int            `json:"moviesParsed"`
	RecordsPublished int            `json:"recordsPublished"`
	RecordsRejected  int            `json:"recordsRejected"`
	RejectedByReason map[string]int `json:"rejectedByReason"`
	PublishFailures  int            `json:"publishFailures"`
	Errors           []string       `json:"errors"`
	DurationMs       int64          `json:"durationMs"`
	Continues        bool           `json:"continues"`
}

// Scraper runs scrapes.
type Scraper struct {
	Fetcher   Fetcher
	Publisher Publisher
	Parker    Parker
	Tracer    Tracer
	// Profile is the layout; nil detects it on the first page.
	Profile *profile.Profile
	Log     *slog.Logger
	Now     func() time.Time
}

// Run scrapes from st.Next until the site ends, st.MaxPages pages are done,
// or until passes; then it returns the report and, when pages are left, the
// state to continue from. Each page is published whole before the next one
// is fetched, so a continuation neither skips nor repeats a page.
func (s *Scraper) Run(ctx context.Context, st State, until time.Time) (Report, *State) {
	rep := st.Totals
	rep.RunID = st.RunID
	if rep.RejectedByReason == nil {
		rep.RejectedByReason = map[string]int{}
	}
	if rep.Errors == nil {
		rep.Errors = []string{}
	}
	prof, err := s.profileFor(st.Profile)
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
		return s.finish(rep, st, "failed"), nil
	}
	start, err := url.Parse(st.Next)
	if err != nil || start.Host == "" {
		rep.Errors = append(rep.Errors, fmt.Sprintf("scrape URL %q is not an absolute URL", st.Next))
		return s.finish(rep, st, "failed"), nil
	}
	for st.Next != "" && st.Pages < st.MaxPages {
		if !s.now().Before(until) {
			rep.Continues = true
			next := st
			next.Totals = rep
			next.Profile = profileName(prof)
			return s.finish(rep, st, "continuing"), &next
		}
		if ctx.Err() != nil {
			rep.Errors = append(rep.Errors, "stopped: "+ctx.Err().Error())
			break
		}
		pageURL := st.Next
		page, p, err := s.page(ctx, pageURL, prof, st.Pages)
		st.Pages++
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
			s.log().WarnContext(ctx, "page failed", "run_id", st.RunID, "url", pageURL, "error", err)
			break
		}
		prof = p
		rep.Profile = p.Name
		rep.PagesFetched++
		rep.MoviesParsed += len(page.Movies)
		published, rejected, failed := s.publishPage(ctx, st, pageURL, page)
		rep.RecordsPublished += published
		rep.PublishFailures += failed
		for reason, n := range rejected {
			rep.RecordsRejected += n
			rep.RejectedByReason[reason] += n
		}
		st.Next = ""
		if page.Next != "" && page.Next != pageURL {
			if n, err := url.Parse(page.Next); err == nil && n.Host == start.Host {
				st.Next = page.Next
			} else {
				rep.Errors = append(rep.Errors, fmt.Sprintf("next page %s leaves %s: not followed", page.Next, start.Host))
			}
		}
	}
	status := "completed"
	if rep.PagesFetched == 0 {
		status = "failed"
	}
	return s.finish(rep, st, status), nil
}

func (s *Scraper) finish(rep Report, st State, status string) Report {
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
func (s *Scraper) page(ctx context.Context, pageURL string, prof *profile.Profile, n int) (profile.Page, *profile.Profile, error) {
	ctx, end := s.Tracer.Start(ctx, "GET page "+strconv.Itoa(n+1))
	var err error
	defer func() { end(err) }()
	var fetched *fetch.Page
	if fetched, err = s.Fetcher.Get(ctx, pageURL); err != nil {
		return profile.Page{}, nil, err
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
			continue
		}
		entries = append(entries, publish.Entry{Key: rec.ID, Data: rec.Data})
	}
	published, failed := s.Publisher.Publish(pctx, entries)
	for _, f := range failed {
		s.log().ErrorContext(ctx, "record not published", "run_id", st.RunID, "movie_id", f.Key, "reason", f.Reason)
		parked = append(parked, publishFailed(st.RunID, prov, f))
	}
	if len(parked) > 0 {
		if err := s.Parker.Park(ctx, parked); err != nil {
			// Nothing is dropped silently: the log holds every record.
			for _, e := range parked {
				s.log().ErrorContext(ctx, "record not parked", "run_id", st.RunID, "error_id", e.ErrorID, "reason", e.Reason, "payload", e.Payload, "error", err)
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
