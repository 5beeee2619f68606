package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// console serves the local pages: traces as JSON and as HTML waterfalls,
// and an index of recent traces.
func (c *Cloud) console() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /traces", func(w http.ResponseWriter, r *http.Request) {
		sums := []xraylocal.Summary{} // with each trace's size and LimitExceeded mark
		for _, id := range c.xray.Traces(100) {
			if s, ok := c.xray.Summary(id); ok {
				sums = append(sums, s)
			}
		}
		writeJSON(w, sums)
	})
	mux.HandleFunc("GET /traces/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if json, ok := strings.CutSuffix(id, ".json"); ok {
			segs := c.xray.Trace(json)
			if len(segs) == 0 {
				http.Error(w, `{"message":"no such trace"}`, http.StatusNotFound)
				return
			}
			writeJSON(w, segs)
			return
		}
		segs := c.xray.Trace(id)
		if len(segs) == 0 {
			http.NotFound(w, r)
			return
		}
		// ?movie=ID draws one film's path through a scrape's trace.
		if movie := r.URL.Query().Get("movie"); movie != "" {
			segs = xraylocal.Film(segs, movie)
		}
		spans := xraylocal.Waterfall(segs)
		total := 0.0
		for _, s := range spans {
			total = max(total, s.End)
		}
		if total == 0 {
			total = 1e-3
		}
		type bar struct {
			xraylocal.Span
			Left, Width float64
			Ms          string
		}
		var bars []bar
		for _, s := range spans {
			bars = append(bars, bar{Span: s, Left: s.Start / total * 100, Width: max(0.4, (s.End-s.Start)/total*100), Ms: fmt.Sprintf("%.1f ms", (s.End-s.Start)*1000)})
		}
		sum, _ := c.xray.Summary(id)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = traceTemplate.Execute(w, map[string]any{"ID": id, "Bars": bars, "Total": fmt.Sprintf("%.1f ms", total*1000), "Summary": sum,
			"KB": fmt.Sprintf("%.1f KB of %d KB", float64(sum.Bytes)/1024, xraylocal.MaxTraceDocument>>10)})
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = indexTemplate.Execute(w, map[string]any{"State": c.State, "Traces": c.traceRows(50), "Mappings": c.Mappings(),
			"Errors": c.errorRows(r.Context(), 200)})
	})
	return mux
}

// traceRow is one recent trace; a run is a trace that starts at the scraper's API.
type traceRow struct {
	ID, Root, Start string
	Ms              float64
	Run             bool
	Status          int
}

// traceRows lists the n most recent runs, then the n most recent other
// traces (the processor's invocations, the API's requests), newest first: a
// run's hundreds of invocations must not push the run itself off the page.
func (c *Cloud) traceRows(n int) []traceRow {
	var runs, others []traceRow
	for _, id := range c.xray.Traces(math.MaxInt) {
		if len(runs) == n && len(others) == n {
			break
		}
		row := traceRow{ID: id}
		if s, ok := c.xray.Root(id); ok {
			row.Root, row.Ms = s.Name, (s.EndTime-s.StartTime)*1000
			row.Start = time.Unix(int64(s.StartTime), 0).UTC().Format("15:04:05")
			row.Run = strings.Contains(s.Name, "-moviepipe-scraper/")
			var h struct {
				Response struct{ Status int } `json:"response"`
			}
			_ = json.Unmarshal(s.HTTP, &h)
			row.Status = h.Response.Status
		}
		switch {
		case row.Run && len(runs) < n:
			runs = append(runs, row)
		case !row.Run && len(others) < n:
			others = append(others, row)
		}
	}
	return append(runs, others...)
}

// errorRow is one entry of the error table.
type errorRow struct{ ID, Stage, Reason, Movie, Message string }

func (c *Cloud) errorRows(ctx context.Context, n int) []errorRow {
	table := c.State.Exports["moviepipe-"+c.State.Stage+"-ErrorsTableName"]
	out, err := c.dynamo.Scan(ctx, &dynamodb.ScanInput{TableName: &table, Limit: aws.Int32(int32(n))})
	if err != nil {
		return nil
	}
	var rows []errorRow
	for _, it := range out.Items {
		get := func(k string) string {
			if v, ok := it[k].(*types.AttributeValueMemberS); ok {
				return v.Value
			}
			return ""
		}
		rows = append(rows, errorRow{get("errorId"), get("stage"), get("reason"), get("movieId"), get("message")})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	return rows
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

var traceTemplate = template.Must(template.New("trace").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Trace {{.ID}} · moviepipe local cloud</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f5f2; color: #1d1b24; }
header { background: #1d1b24; color: #fff; padding: 1rem 2rem; }
header h1 { margin: 0; font-size: 1.2rem; } header p { margin: .2rem 0 0; color: #bbb; }
main { padding: 1rem 2rem; }
.row { display: grid; grid-template-columns: 22rem 6rem 1fr; align-items: center; gap: .6rem; padding: .2rem 0; border-bottom: 1px solid #e6e3dc; }
.name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.track { position: relative; height: 1.1rem; background: #ece9e2; border-radius: 3px; }
.bar { position: absolute; top: 0; bottom: 0; border-radius: 3px; background: #4b6cb7; }
.bar.segment { background: #b3261e; } .bar.aws { background: #c8961e; } .bar.error { outline: 2px solid #000; }
.ms { text-align: right; color: #6b6878; font-variant-numeric: tabular-nums; }
</style></head>
<body><header><h1>Trace {{.ID}}</h1>{{if .Summary.LimitExceeded}}<p class="limit-exceeded" style="color:#ffb4a9"><strong>LimitExceeded</strong>: this trace reached X-Ray's trace document size limit; the segments past it were dropped.</p>{{end}}
<p>{{len .Bars}} segments and subsegments · {{.KB}} · {{.Total}} ·
<span style="color:#e57373">■</span> service segment <span style="color:#8fa6d8">■</span> subsegment <span style="color:#c8961e">■</span> AWS call</p></header>
<main>
{{range .Bars}}<div class="row span" data-name="{{.Name}}"><div class="name" style="padding-left: {{.Depth}}rem">{{.Name}}</div><div class="ms">{{.Ms}}</div>
<div class="track"><div class="bar {{.Kind}}{{if .Error}} error{{end}}" style="left: {{printf "%.2f" .Left}}%; width: {{printf "%.2f" .Width}}%"></div></div></div>
{{end}}</main></body></html>`))

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>moviepipe local cloud</title>
<style>body { font: 14px/1.5 system-ui, sans-serif; margin: 2rem; } code { background: #eee; padding: 0 .3rem; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left; }</style></head>
<body><h1>moviepipe local cloud</h1>
<p>API <code>{{.State.API}}</code> · site <a href="{{.State.Site}}/films">{{.State.Site}}</a> · stage <code>{{.State.Stage}}</code></p>
<h2>Functions</h2><ul>{{range .State.Functions}}<li>{{.}}</li>{{end}}</ul>
<h2>Stream mappings</h2><ul>{{range .Mappings}}{{range $shard, $s := .}}<li>{{$shard}}: checkpoint {{$s.Checkpoint}}, {{$s.Invocations}} invocations, {{$s.Destination}} batches to the on-failure queue{{if $s.CaughtUp}}, caught up{{end}}</li>{{end}}{{end}}</ul>
<h2>Runs</h2><table><tr><th>trace</th><th>started</th><th>status</th><th>answered in</th></tr>
{{range .Traces}}{{if .Run}}<tr><td><a href="/traces/{{.ID}}">{{.ID}}</a></td><td>{{.Start}}</td><td>{{.Status}}</td><td>{{printf "%.0f" .Ms}} ms</td></tr>{{end}}{{end}}</table>
<h2>Error table</h2><table><tr><th>error id</th><th>stage</th><th>reason</th><th>movie</th><th>message</th></tr>
{{range .Errors}}<tr><td>{{.ID}}</td><td>{{.Stage}}</td><td>{{.Reason}}</td><td>{{.Movie}}</td><td>{{.Message}}</td></tr>{{else}}<tr><td colspan="5">empty</td></tr>{{end}}</table>
<h2>Recent traces</h2><ul>{{range .Traces}}<li><a href="/traces/{{.ID}}">{{.ID}}</a> {{.Root}} · {{printf "%.0f" .Ms}} ms</li>{{end}}</ul>
</body></html>`))
