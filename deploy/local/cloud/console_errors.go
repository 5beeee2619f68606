package cloud

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// errorRow is one entry of the error table.
type errorRow struct {
	ID, Stage, Reason, Movie, Message, RunID, OccurredAt string
	Trace                                                string // the trace id of its traceHeader
}

// maxErrorRows bounds what the console reads of the error table.
const maxErrorRows = 20000

// errorRows reads the error table, newest first; nil when it cannot.
func (c *Cloud) errorRows(ctx context.Context) []errorRow {
	table := c.State.Exports["moviepipe-"+c.State.Stage+"-ErrorsTableName"]
	var rows []errorRow
	p := dynamodb.NewScanPaginator(c.dynamo, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() && len(rows) < maxErrorRows {
		out, err := p.NextPage(ctx)
		if err != nil {
			return rows
		}
		for _, it := range out.Items {
			rows = append(rows, errorRowOf(it))
		}
	}
	sortErrors(rows)
	return rows
}

func errorRowOf(it map[string]types.AttributeValue) errorRow {
	get := func(k string) string {
		if v, ok := it[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	return errorRow{ID: get("errorId"), Stage: get("stage"), Reason: get("reason"), Movie: get("movieId"), Message: get("message"),
		RunID: get("runId"), OccurredAt: get("occurredAt"), Trace: traceRoot(get("traceHeader"))}
}

// sortErrors puts the newest first, then by error id.
func sortErrors(rows []errorRow) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].OccurredAt != rows[j].OccurredAt {
			return rows[i].OccurredAt > rows[j].OccurredAt
		}
		return rows[i].ID < rows[j].ID
	})
}

// errorFilter is the error page's query: each field, when set, keeps the
// rows that equal it.
type errorFilter struct{ Reason, Stage, Run string }

func errorFilterOf(q url.Values) errorFilter {
	return errorFilter{Reason: q.Get("reason"), Stage: q.Get("stage"), Run: q.Get("run")}
}

func (f errorFilter) keeps(r errorRow) bool {
	return (f.Reason == "" || r.Reason == f.Reason) && (f.Stage == "" || r.Stage == f.Stage) && (f.Run == "" || r.RunID == f.Run)
}

// facet is one value of a column, with how many rows hold it and the
// query that filters on it.
type facet struct {
	Value, Query string
	Count        int
	On           bool
}

// errorsView is the error page: the rows the filter keeps and, per
// column, the values there are to filter on.
type errorsView struct {
	Filter                errorFilter
	Rows                  []errorRow
	Kept, Total, Shown    int
	Reasons, Stages, Runs []facet
	Truncated             bool
}

// maxErrorsShown bounds the rows the error page lists.
const maxErrorsShown = 500

// buildErrors filters rows by f. A facet counts the rows the other
// filters keep, so its numbers add up to what choosing it shows.
func buildErrors(rows []errorRow, f errorFilter) errorsView {
	v := errorsView{Filter: f, Total: len(rows), Truncated: len(rows) >= maxErrorRows}
	for _, r := range rows {
		if f.keeps(r) {
			v.Kept++
			if len(v.Rows) < maxErrorsShown {
				v.Rows = append(v.Rows, r)
			}
		}
	}
	v.Shown = len(v.Rows)
	v.Reasons = facets(rows, f, func(r errorRow) string { return r.Reason }, func(g *errorFilter, s string) { g.Reason = s })
	v.Stages = facets(rows, f, func(r errorRow) string { return r.Stage }, func(g *errorFilter, s string) { g.Stage = s })
	v.Runs = facets(rows, f, func(r errorRow) string { return r.RunID }, func(g *errorFilter, s string) { g.Run = s })
	return v
}

func facets(rows []errorRow, f errorFilter, field func(errorRow) string, set func(*errorFilter, string)) []facet {
	others := f
	set(&others, "")
	counts := map[string]int{}
	for _, r := range rows {
		if others.keeps(r) && field(r) != "" {
			counts[field(r)]++
		}
	}
	var out []facet
	for value, n := range counts {
		g := f
		set(&g, value)
		out = append(out, facet{Value: value, Count: n, Query: g.query(), On: g == f})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	return out
}

func (f errorFilter) query() string {
	q := url.Values{}
	for k, v := range map[string]string{"reason": f.Reason, "stage": f.Stage, "run": f.Run} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return "/errors"
	}
	return "/errors?" + q.Encode()
}

// traceRoot is the trace id of an X-Ray trace header (Root=…;Parent=…), or "".
func traceRoot(h string) string {
	for _, part := range strings.Split(h, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "Root" {
			return v
		}
	}
	return ""
}
