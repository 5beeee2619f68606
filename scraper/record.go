// Package scraper fetches a movie site page by page, parses each page with a
// layout profile, validates every movie against movie-record.v1 and publishes
// the valid ones to Kinesis. Records the contract refuses are parked in the
// error table; nothing is dropped silently.
//
// A run follows a page's next link only to a page it has not visited
// (normalised URLs; TestRunStopsAtAPageCycle, TestVisitedSurvivesHandOver),
// on an allowed host (TestRunStaysOnAllowedHosts), within the depth and page
// limits (TestRunLimits); each link not followed and each page the fetcher
// refused is counted in the report by reason. The API handler never panics
// and never puts Go error text in an answer (TestHandlerRecoversPanics,
// TestHandleMalformedEvents, TestAPINamesTheCauseWithoutGoText).
package scraper

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper/profile"
)

// Provenance says where and when records were scraped.
type Provenance struct {
	SourceURL   string
	ScrapedAt   time.Time
	RunID       string
	TraceHeader string
}

// Record is one movie-record.v1 candidate.
type Record struct {
	ID   string
	Data []byte
}

// NewRecord builds the movie-record.v1 of a parsed movie and validates it.
// The record is returned even when invalid (with a *contracts.ValidationError),
// so that it can be parked with its reason.
func NewRecord(m profile.Movie, p Provenance) (Record, error) {
	doc := make(map[string]any, len(m)+6)
	for k, v := range m {
		doc[k] = v
	}
	if _, ok := doc["year"]; !ok {
		if d, ok := doc["releaseDate"].(string); ok {
			if t, err := time.Parse(time.DateOnly, d); err == nil {
				doc["year"] = int64(t.Year())
			}
		}
	}
	id, _ := doc["id"].(string)
	if id == "" {
		title, _ := doc["title"].(string)
		year, _ := doc["year"].(int64)
		id = DerivedID(title, year)
		doc["id"] = id
	}
	doc["schema"] = string(contracts.MovieRecordV1)
	doc["sourceUrl"] = p.SourceURL
	doc["scrapedAt"] = p.ScrapedAt.UTC().Format(time.RFC3339Nano)
	doc["runId"] = p.RunID
	if p.TraceHeader != "" {
		doc["traceHeader"] = p.TraceHeader
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // titles keep their & and < as they are
	if err := enc.Encode(doc); err != nil {
		return Record{ID: id}, err
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return Record{ID: id, Data: data}, contracts.Validate(contracts.MovieRecordV1, data)
}

// DerivedID is the id of a movie whose page has none: readable (a slug of
// the title and the year), stable across runs, and distinct for distinct
// (title, year) pairs thanks to a hash of the exact title. year 0 is unknown.
func DerivedID(title string, year int64) string {
	slug := Slug(title, 60)
	if slug == "" {
		slug = "untitled"
	}
	h := sha256.New()
	h.Write([]byte(title))
	h.Write([]byte{0})
	var b strings.Builder
	b.WriteString("mv-")
	b.WriteString(slug)
	if year != 0 {
		y := strconv.FormatInt(year, 10)
		h.Write([]byte(y))
		b.WriteString("-" + y)
	}
	b.WriteString("-" + hex.EncodeToString(h.Sum(nil)[:4]))
	return b.String()
}

// Slug folds a title to lowercase ASCII words joined by hyphens, at most max
// bytes long, cut at a word boundary: "Amélie (2001)!" → "amelie-2001".
func Slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // accents left by the decomposition
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
		if i := strings.LastIndexByte(out, '-'); i > 0 {
			out = out[:i]
		}
	}
	return out
}
