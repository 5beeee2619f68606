package cloud

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

func TestConsolePercentile(t *testing.T) {
	seq := func(n int) []float64 {
		var v []float64
		for i := n; i >= 1; i-- { // unsorted on purpose
			v = append(v, float64(i))
		}
		return v
	}
	for _, c := range []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"none", nil, 50, 0},
		{"one", []float64{7}, 99, 7},
		{"p50 of 1..100", seq(100), 50, 50},
		{"p99 of 1..100", seq(100), 99, 99},
		{"p99 of 1..10 is the largest", seq(10), 99, 10},
		{"p50 of two is the smaller", []float64{9, 4}, 50, 4},
	} {
		if got := percentile(c.values, c.p); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// The map counts each call on its edge, with the callee's failures and
// p50/p99 as the caller saw them; the processor's writes go to the movies
// table, or to the errors table for a film the processor parked.
func TestConsoleServiceMapEdges(t *testing.T) {
	m := buildServiceMap([][]xraylocal.Segment{runA.segments(), runB.segments()},
		tableHints{Movies: "movies", Errors: "errors", Parked: map[string]bool{"mv-1-7": true}})
	type edge struct {
		count, errors int
		p50, p99      string
	}
	want := map[string]edge{
		"api:local-moviepipe-scraper/local → fn:moviepipe-scraper-local": {2, 0, "4899", "9899"},
		"fn:moviepipe-scraper-local → kinesis:":                          {3, 0, "150", "150"},
		"fn:moviepipe-scraper-local → dynamodb:":                         {2, 0, "2", "2"},
		"kinesis: → fn:processor":                                        {300, 1, "50", "99"},
		"fn:processor → dynamodb:movies":                                 {298, 0, "51", "100"}, // 3×(1..100) less two 7s
		"fn:processor → dynamodb:errors":                                 {2, 0, "7", "7"},
	}
	if len(m.Edges) != len(want) {
		t.Errorf("%d edges, want %d", len(m.Edges), len(want))
	}
	for _, e := range m.Edges {
		key := e.From + " → " + e.To
		w, ok := want[key]
		got := edge{e.Count, e.Errors, fmt.Sprintf("%.0f", e.P50), fmt.Sprintf("%.0f", e.P99)}
		if !ok || got != w {
			t.Errorf("edge %s: %+v, want %+v", key, got, w)
		}
	}
	for _, n := range m.Nodes {
		if n.ID == "fn:processor" && (n.Count != 300 || n.Errors != 1 || n.Label != "processor λ") {
			t.Errorf("processor node: %+v", *n)
		}
		if n.ID == "fn:moviepipe-scraper-local" && n.Label != "scraper λ" {
			t.Errorf("scraper node: %+v", *n)
		}
	}
}

var edgeRE = regexp.MustCompile(`<g class="edge" data-from="([^"]*)" data-to="([^"]*)" data-count="(\d+)" data-errors="(\d+)" data-p50="([^"]*)" data-p99="([^"]*)"`)

// The index draws the map of recent API traces, edge by edge, with the
// table a processor write reached read from the error table.
func TestConsoleIndexDrawsTheMap(t *testing.T) {
	page := get(t, testConsole(t)+"/")
	edges := map[string]string{}
	for _, m := range edgeRE.FindAllStringSubmatch(page, -1) {
		edges[m[1]+" → "+m[2]] = strings.Join(m[3:], " ")
	}
	for key, want := range map[string]string{
		"kinesis: → fn:processor":                                        "300 1 50.000 99.000",
		"fn:processor → dynamodb:moviepipe-local-movies":                 "298 0 51.000 100.000",
		"fn:processor → dynamodb:moviepipe-local-errors":                 "2 0 7.000 7.000",
		"api:local-moviepipe-scraper/local → fn:moviepipe-scraper-local": "2 0 4899.000 9899.000",
	} {
		if edges[key] != want {
			t.Errorf("edge %s: %q, want %q", key, edges[key], want)
		}
	}
	for _, text := range []string{">scraper API<", ">movies table<", ">errors table<", ">Kinesis stream<", `href="/runs/1-aaaa"`, `href="/runs/1-bbbb"`,
		"scrape#run-a#0#4", `href="/errors?reason=invalid_record"`} {
		if !strings.Contains(page, text) {
			t.Errorf("the index has no %s", text)
		}
	}
}

// A run's trace is drawn by page: one group per page, its records one
// collapsed row with their count and p50/p99; the film view stays flat.
func TestConsoleTraceGroupsByPage(t *testing.T) {
	console := testConsole(t)
	page := get(t, console+"/traces/1-aaaa")
	if n := strings.Count(page, `<details class="page"`); n != 2 {
		t.Errorf("%d page groups, want 2", n)
	}
	if n := strings.Count(page, `<details class="batch" data-records="100">`); n != 2 {
		t.Errorf("%d batches of 100 records, want 2", n)
	}
	if n := strings.Count(page, `class="row record"`); n != 200 {
		t.Errorf("%d record rows, want 200", n)
	}
	if !strings.Contains(page, "50 ms / 99 ms") || !strings.Contains(page, `<span class="bad">1 failed</span>`) {
		t.Error("a batch row does not show its p50 / p99 or its failed record")
	}
	run := page[strings.Index(page, `<section id="run">`):strings.Index(page, `<section id="pages">`)]
	if n := strings.Count(run, `class="row"`); n != 3 {
		t.Errorf("%d rows outside the pages (API Gateway, scraper, lease call), want 3", n)
	}
	for _, step := range []string{`data-name="GET page 2"`, `data-name="PutRecords page 2"`, `data-name="Kinesis"`, `href="?movie=mv-2-100"`} {
		if !strings.Contains(page, step) {
			t.Errorf("the trace page has no %s", step)
		}
	}
	film := get(t, console+"/traces/1-aaaa?movie=mv-2-3")
	if n := strings.Count(film, `class="row span"`); n != 7 {
		t.Errorf("the film view draws %d rows, want 7 (API, scraper, GET, PutRecords, Kinesis, processor, DynamoDB)", n)
	}
}

var seriesRE = regexp.MustCompile(`<div class="card series" data-name="([^"]*)" data-total="(\d+)">`)

// A run's page counts its pages, published, stored and parked records over
// time, lists its traced films, and says when the trace holds a sample.
func TestConsoleRunPage(t *testing.T) {
	console := testConsole(t)
	for _, id := range []string{"1-aaaa", "run-a"} { // by trace, by run (the error table names it)
		page := get(t, console+"/runs/"+id)
		totals := map[string]string{}
		for _, m := range seriesRE.FindAllStringSubmatch(page, -1) {
			totals[m[1]] = m[2]
		}
		want := map[string]string{"pages fetched": "2", "records published": "200", "records stored": "199", "records parked": "2"}
		if fmt.Sprint(totals) != fmt.Sprint(want) {
			t.Errorf("/runs/%s: %v, want %v", id, totals, want)
		}
		if !strings.Contains(page, "Run run-a") || !strings.Contains(page, `<span id="stored">400</span>`) || !strings.Contains(page, `id="sampled"`) {
			t.Errorf("/runs/%s does not name its run, its 400 stored films, or that its trace holds a sample", id)
		}
		if n := strings.Count(page, `href="/traces/1-aaaa?movie=`); n != 200 {
			t.Errorf("/runs/%s links %d films, want 200", id, n)
		}
	}
	page := get(t, console+"/runs/run-b") // its run_id annotation names it
	if !strings.Contains(page, "Run run-b") || !strings.Contains(page, `data-name="records published" data-total="100"`) ||
		strings.Contains(page, `id="sampled"`) {
		t.Error("/runs/run-b is not run B's page, whole")
	}
}

var errorRowRE = regexp.MustCompile(`<tr class="error" data-reason="([^"]*)" data-stage="([^"]*)">`)

// The error page keeps the rows every filter given matches, and counts per
// value what choosing it would show.
func TestConsoleErrorFilters(t *testing.T) {
	console := testConsole(t)
	for _, c := range []struct {
		query string
		want  []string // reason/stage of the rows, newest first
	}{
		{"", []string{"publish_failed/scrape", "undecodable/process", "invalid_record/process", "invalid_record/scrape"}},
		{"?stage=process", []string{"undecodable/process", "invalid_record/process"}},
		{"?reason=invalid_record&run=run-a", []string{"invalid_record/process", "invalid_record/scrape"}},
		{"?reason=invalid_record&stage=scrape&run=run-a", []string{"invalid_record/scrape"}},
		{"?run=run-c", nil},
	} {
		page := get(t, console+"/errors"+c.query)
		var got []string
		for _, m := range errorRowRE.FindAllStringSubmatch(page, -1) {
			got = append(got, m[1]+"/"+m[2])
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("/errors%s: %v, want %v", c.query, got, c.want)
		}
	}
	page := get(t, console+"/errors?stage=process")
	for _, facet := range []string{`<option value="invalid_record">invalid_record (1)</option>`,
		`<option value="process" selected>process (2)</option>`, `<option value="scrape">scrape (2)</option>`,
		`href="/errors?reason=undecodable&amp;stage=process"`} {
		if !strings.Contains(page, facet) {
			t.Errorf("/errors?stage=process has no %s", facet)
		}
	}
}

// Records whose PutRecords the trace lacks (not received, or lost) still
// count as published and are grouped, apart, instead of spilling flat.
func TestConsoleRecordsWithoutTheirPutRecords(t *testing.T) {
	var segs []xraylocal.Segment
	for _, s := range runA.segments() {
		if s.Name != "PutRecords page 2" {
			segs = append(segs, s)
		}
	}
	g := groupTrace("1-aaaa", segs)
	var groups []string
	for _, p := range g.Pages {
		groups = append(groups, fmt.Sprintf("%d:%d", p.N, p.Batch.Records))
	}
	if fmt.Sprint(groups) != "[1:100 2:0 0:100]" || len(g.Run) != 3 {
		t.Errorf("groups (page:records) %v, %d rows outside; want page 1's 100, page 2's GET alone, then the 100 orphans; 3 outside",
			groups, len(g.Run))
	}
	v := buildRun("1-aaaa", "run-a", segs, nil)
	if v.Series[1].Total != 200 || v.Traced != 200 || len(v.Films) != 200 {
		t.Errorf("published %d, traced %d, films %d: want 200", v.Series[1].Total, v.Traced, len(v.Films))
	}
}

// continuedRun is runA answered early: its second page is fetched by an
// asynchronous invocation of the scraper (a Lambda call, the function's
// segment, the scraper's own segment resuming the trace) whose page
// subsegments arrive nested in that segment, without a type.
func continuedRun() []xraylocal.Segment {
	var out, nested []xraylocal.Segment
	for _, s := range runA.segments() {
		if s.Name == "GET page 2" || s.Name == "PutRecords page 2" {
			s.Type, s.ParentID = "", "1-aaaa-scraper"
			nested = append(nested, s)
			continue
		}
		out = append(out, s)
	}
	seg := func(id, parent, name string, from, to float64) xraylocal.Segment {
		return xraylocal.Segment{ID: id, TraceID: "1-aaaa", ParentID: parent, Name: name, StartTime: from, EndTime: to}
	}
	invoke := seg("1-aaaa-invoke", "1-aaaa-fn", "Lambda", 1001.9, 1001.95)
	invoke.Type, invoke.Namespace = "subsegment", "aws"
	fn := seg("1-aaaa-fn2", invoke.ID, "moviepipe-scraper-local", 1001.95, 1003)
	fn.Origin = "AWS::Lambda::Function"
	resumed := seg("1-aaaa-scraper", fn.ID, "scraper", 1001.96, 1003)
	resumed.Subsegments = nested
	return append(out, invoke, fn, resumed)
}

// A continued run is one scraper on the map, whose invoke is its edge to
// Lambda, and its pages are grouped and counted wherever they arrived.
func TestConsoleContinuedRun(t *testing.T) {
	segs := continuedRun()
	m := buildServiceMap([][]xraylocal.Segment{segs}, tableHints{})
	var nodes []string
	for _, n := range m.Nodes {
		nodes = append(nodes, n.ID)
	}
	sort.Strings(nodes)
	if want := "[api:local-moviepipe-scraper/local aws:Lambda dynamodb: fn:moviepipe-scraper-local fn:processor kinesis:]"; fmt.Sprint(nodes) != want {
		t.Errorf("nodes %v, want %s", nodes, want)
	}
	edges := map[string]int{}
	for _, e := range m.Edges {
		edges[e.From+" → "+e.To] = e.Count
	}
	if edges["fn:moviepipe-scraper-local → aws:Lambda"] != 1 || edges["fn:moviepipe-scraper-local → kinesis:"] != 2 || edges["kinesis: → fn:processor"] != 200 {
		t.Errorf("edges %v", edges)
	}
	g := groupTrace("1-aaaa", segs)
	if len(g.Pages) != 2 || g.Pages[1].N != 2 || g.Pages[1].Batch.Records != 100 || len(g.Run) != 6 {
		t.Errorf("%d pages (page 2: %d records), %d rows outside; want 2, 100, 6", len(g.Pages), g.Pages[len(g.Pages)-1].Batch.Records, len(g.Run))
	}
	if v := buildRun("1-aaaa", "run-a", segs, nil); v.Series[0].Total != 2 || v.Series[1].Total != 200 {
		t.Errorf("pages %d, published %d; want 2, 200", v.Series[0].Total, v.Series[1].Total)
	}
}

// A trace with no page is drawn whole; an unknown trace or run is a 404.
func TestConsoleQueryTraceAndUnknownIDs(t *testing.T) {
	console := testConsole(t)
	page := get(t, console+"/traces/1-cccc")
	if strings.Contains(page, "<details") || strings.Count(page, `class="row"`) != 3 {
		t.Errorf("a query's trace is not its 3 rows, flat")
	}
	if run := get(t, console+"/runs/1-cccc"); !strings.Contains(run, `data-name="pages fetched" data-total="0"`) || !strings.Contains(run, "no film in the trace") {
		t.Error("the run page of a trace with no page does not say it holds none")
	}
	if index := get(t, console+"/"); !strings.Contains(index, `data-from="api:local-moviepipe-query-api/local" data-to="fn:moviepipe-query-api-local" data-count="1"`) ||
		!strings.Contains(index, ">query-api API<") {
		t.Error("the map does not draw the query API")
	}
	for _, path := range []string{"/traces/1-nope", "/traces/1-nope.json", "/runs/nope"} {
		resp, err := http.Get(console + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}
