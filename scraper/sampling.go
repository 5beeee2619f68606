package scraper

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/moviepipe/moviepipe/contracts"
)

// Default bounds of the records that carry a sampled trace header: the
// first two of each page and at most 40 a run keep a full-catalogue run's
// trace at about 73 KB (TestScrapeStoreServeTrace), far below X-Ray's
// trace document size limit of 500 KB (docs/tracing.md).
const (
	DefaultTracePerPage = 2
	DefaultTracePerRun  = 40
)

// tracedOnPage is how many of a page's records carry a sampled trace
// header: the first perPage of them, within what is left of perRun after
// the run's tracedSoFar.
func tracedOnPage(perPage, perRun, tracedSoFar int) int {
	return max(0, min(perPage, perRun-tracedSoFar))
}

// unsampled is a trace header with the same root and parent that tells the
// consumer not to record: the record still names the run's trace, but no
// segment is sent for it. "" stays "".
func unsampled(h string) string {
	if h == "" {
		return ""
	}
	fields := strings.Split(h, ";")
	for i, f := range fields {
		if strings.HasPrefix(f, "Sampled=") {
			fields[i] = "Sampled=0"
		}
	}
	return validHeader(strings.Join(fields, ";"))
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
