package cloud

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// runView is a run's page: its progress over time and its traced films.
type runView struct {
	TraceID, RunID, Started, Span string
	Series                        []series
	Films                         []filmRow
	Traced                        int  // films the trace holds
	Stored                        int  // the run's films in the movies table
	StoredKnown                   bool // the movies table answered
	Parked                        int  // the run's records in the error table
	Sampled                       bool // the trace holds fewer films than the run stored and parked
}

// filmRow is one traced film: its record's way from PutRecords to stored.
type filmRow struct {
	Movie, Page, Ms string
	Error           bool
}

// maxFilms bounds the films a run's page lists.
const maxFilms = 500

// buildRun reads a run's progress from its trace (pages fetched, records
// published and stored, as far as the trace holds them) and from the
// error table (records parked, all of them).
func buildRun(traceID, runID string, segs []xraylocal.Segment, parked []errorRow) runView {
	all := flatten(segs)
	t, tl := newTraceIndex(all), newTimeline(all)
	v := runView{TraceID: traceID, RunID: runID, Started: time.Unix(int64(tl.t0), 0).UTC().Format("2006-01-02 15:04:05 UTC")}
	var pages, published, stored, parkedAt []float64
	var films []flatSeg
	fetched := map[int]bool{} // a page cut short by a deadline is fetched again, by the next invocation
	for _, s := range all {
		verb, n, ok := pageStep(s)
		switch {
		case ok && verb == "GET":
			if !s.failed() && !fetched[n] {
				fetched[n] = true
				pages = append(pages, s.EndTime-tl.t0)
			}
		case ok && verb == "PutRecords":
			for _, c := range t.children[s.ID] {
				if c.isSegment() {
					published = append(published, s.EndTime-tl.t0)
					films = append(films, c)
				}
			}
		}
	}
	for _, s := range all {
		if t.orphanRecord(s) { // published before it started, at a PutRecords the trace lacks
			published = append(published, s.StartTime-tl.t0)
			films = append(films, s)
		}
	}
	for _, f := range films {
		if !f.failed() {
			stored = append(stored, f.EndTime-tl.t0)
		}
	}
	for _, e := range parked {
		if at, err := time.Parse(time.RFC3339Nano, e.OccurredAt); err == nil {
			parkedAt = append(parkedAt, max(0, float64(at.UnixNano())/1e9-tl.t0))
		}
	}
	span := tl.span
	for _, x := range parkedAt {
		span = max(span, x)
	}
	v.Span = fmtMs(span * 1000)
	v.Series = []series{
		cumulative("pages fetched", "GET page subsegments that fetched their page", pages, span),
		cumulative("records published", "traced records, at their PutRecords", published, span),
		cumulative("records stored", "traced records, at their processor segment's end", stored, span),
		cumulative("records parked", "the error table, every record of the run", parkedAt, span),
	}
	v.Traced, v.Parked = len(films), len(parked)
	v.Films = filmRows(t, films)
	return v
}

func filmRows(t *traceIndex, films []flatSeg) []filmRow {
	sort.Slice(films, func(i, j int) bool { return films[i].StartTime < films[j].StartTime })
	var rows []filmRow
	for _, f := range films[:min(len(films), maxFilms)] {
		row := filmRow{Movie: f.annotation("movie_id"), Page: "—", Ms: "—", Error: f.failed()}
		if put, ok := t.byID[f.Parent]; ok {
			row.Page, row.Ms = strings.TrimPrefix(put.Name, "PutRecords "), fmtMs((f.EndTime-put.StartTime)*1000)
		}
		rows = append(rows, row)
	}
	return rows
}

// runIDOf is the run id of a trace: the run_id annotation of one of its
// segments, or the run of an error record whose trace header names it.
func runIDOf(traceID string, segs []xraylocal.Segment, errs []errorRow) string {
	for _, s := range flatten(segs) {
		if id := s.annotation("run_id"); id != "" {
			return id
		}
	}
	for _, e := range errs {
		if e.Trace == traceID && e.RunID != "" {
			return e.RunID
		}
	}
	return ""
}

// runErrors keeps the error rows of a trace's run: those whose trace
// header names the trace, or whose run is the trace's run.
func runErrors(rows []errorRow, traceID, runID string) []errorRow {
	var out []errorRow
	for _, r := range rows {
		if r.Trace == traceID || (runID != "" && r.RunID == runID) {
			out = append(out, r)
		}
	}
	return out
}

// storedFor counts the movies table's films whose stored version run
// runID scraped; false when the table cannot say.
func (c *Cloud) storedFor(ctx context.Context, runID string) (int, bool) {
	if runID == "" {
		return 0, false
	}
	table := c.State.Exports["moviepipe-"+c.State.Stage+"-MoviesTableName"]
	in := &dynamodb.ScanInput{TableName: &table, Select: types.SelectCount,
		FilterExpression:          aws.String("runId = :run"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": &types.AttributeValueMemberS{Value: runID}}}
	n := 0
	p := dynamodb.NewScanPaginator(c.dynamo, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return 0, false
		}
		n += int(out.Count)
	}
	return n, true
}
