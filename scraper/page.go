package scraper

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/profile"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

// scraped is a page as page read it.
type scraped struct {
	page        profile.Page
	prof        *profile.Profile
	validators  fetch.Validators
	hash        string // of page.Movies
	notModified bool   // answered 304: page holds only the remembered Next
}

// unchanged reports whether the page holds what mem remembers.
func (sp scraped) unchanged(mem PageMemory) bool {
	return sp.notModified || (mem.Hash != "" && sp.hash == mem.Hash)
}

// page fetches and parses one page, detecting the layout when prof is nil;
// asked conditionally with mem's validators, a page not modified is mem's.
// The page's URL after redirects is marked visited.
func (s *Scraper) page(ctx context.Context, runID, pageURL string, prof *profile.Profile, n int, visited *Visited, mem PageMemory) (scraped, error) {
	ctx, end := s.Tracer.Start(ctx, "GET page "+strconv.Itoa(n+1), runID)
	var err error
	defer func() { end(err) }()
	var fetched *fetch.Page
	if fetched, err = s.Fetcher.Get(ctx, pageURL, mem.Validators); err != nil {
		return scraped{}, err
	}
	if norm, nerr := NormalizeURL(fetched.URL.String()); nerr == nil {
		visited.Add(norm)
	}
	sp := scraped{prof: prof, validators: fetched.Validators, notModified: fetched.NotModified}
	if sp.notModified {
		sp.page.Next, sp.hash = mem.Next, mem.Hash
		if sp.prof == nil {
			name, _, _ := strings.Cut(mem.Profile, "@")
			sp.prof, err = profile.Builtin(name)
		}
		return sp, err
	}
	var doc *profile.Document
	if doc, err = profile.ReadDocument(bytes.NewReader(fetched.Body), fetched.URL); err != nil {
		return scraped{}, err
	}
	if sp.prof == nil {
		sp.prof, sp.page, err = profile.Detect(doc, profile.Builtins())
	} else {
		sp.page, err = sp.prof.Extract(doc)
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", pageURL, err)
	}
	sp.hash = moviesHash(sp.page.Movies)
	return sp, err
}

// publishPage validates a page's movies, publishes the valid records and
// parks the others. It returns the counts, and counts in st.Traced the
// records that carry a sampled trace header.
func (s *Scraper) publishPage(ctx context.Context, st *State, pageURL string, page profile.Page) (published int, rejected map[string]int, failures int) {
	rejected = map[string]int{}
	pctx, end := s.Tracer.Start(ctx, "PutRecords page "+strconv.Itoa(st.Pages), st.RunID)
	defer func() { end(nil) }()
	prov := Provenance{SourceURL: pageURL, ScrapedAt: s.now(), RunID: st.RunID}
	sampled := validHeader(s.Tracer.Header(pctx))
	traced := tracedOnPage(s.TracePerPage, s.TracePerRun, st.Traced)
	var entries []publish.Entry
	var parked []ErrorRecord
	for i, m := range page.Movies {
		prov.TraceHeader = unsampled(sampled)
		if len(entries) < traced {
			prov.TraceHeader = sampled
		}
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
	if sampled != "" && sampled != unsampled(sampled) {
		st.Traced += min(traced, len(entries))
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
