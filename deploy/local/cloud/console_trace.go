package cloud

import (
	"sort"
	"strconv"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// bar is one row of a waterfall: where a (sub)segment sits on the trace's
// time axis, in percent of the trace's span.
type bar struct {
	Name, Kind, Ms string
	Depth          int
	Left, Width    float64
	Error          bool
}

// groupedTrace is a trace as its page draws it: what ran around the pages
// (the API request, the function, its own calls), one group per scraped
// page, and whatever belongs to no page.
type groupedTrace struct {
	ID, Total string
	Segments  int
	Run       []bar
	Pages     []pageGroup
	// Summary is the trace's size and LimitExceeded mark; Size says it
	// against X-Ray's trace document limit.
	Summary xraylocal.Summary
	Size    string
}

// pageGroup is one scraped page: its fetch, its PutRecords and the batch of
// records it published, collapsed into one row.
type pageGroup struct {
	N     int
	Open  bool // drawn open: the page asked for by ?page=N
	Bar   bar
	Steps []bar
	Batch batchRow
}

// batchRow is the records a PutRecords carried, as the processor handled
// them: how many, how many failed, their durations, and one row each.
type batchRow struct {
	Records, Errors int
	P50, P99        string
	Bar             bar
	Rows            []recordRow
	durations       []float64 // milliseconds
}

// recordRow is one record's processor segment, with its film for the
// film's own view of the trace.
type recordRow struct {
	Movie string
	Bar   bar
}

// timeline places segments on a trace's time axis.
type timeline struct{ t0, span float64 }

func newTimeline(all []flatSeg) timeline {
	if len(all) == 0 {
		return timeline{span: 1e-3}
	}
	t0, end := all[0].StartTime, all[0].EndTime
	for _, s := range all {
		t0, end = min(t0, s.StartTime), max(end, s.EndTime, s.StartTime)
	}
	return timeline{t0: t0, span: max(end-t0, 1e-3)}
}

func (tl timeline) bar(name, kind string, depth int, start, end float64, failed bool) bar {
	end = max(end, start)
	return bar{Name: name, Kind: kind, Depth: depth, Error: failed, Ms: fmtMs((end - start) * 1000),
		Left: (start - tl.t0) / tl.span * 100, Width: max(0.3, (end-start)/tl.span*100)}
}

func (tl timeline) segBar(s flatSeg, depth int) bar {
	kind := "segment"
	switch {
	case s.Namespace == "aws":
		kind = "aws"
	case s.Type == "subsegment":
		kind = "subsegment"
	}
	return tl.bar(s.Name, kind, depth, s.StartTime, s.EndTime, s.failed())
}

// groupTrace groups a trace by the pages its scraper fetched ("GET page
// N", "PutRecords page N" subsegments); the processor segments continuing
// a PutRecords become that page's batch. A trace with no pages (a query
// API request) is all Run.
func groupTrace(id string, segs []xraylocal.Segment) groupedTrace {
	all := flatten(segs)
	t, tl := newTraceIndex(all), newTimeline(all)
	g := groupedTrace{ID: id, Segments: len(all), Total: fmtMs(tl.span * 1000)}
	used := map[string]bool{}
	pages := map[int]*pageGroup{}
	page := func(n int) *pageGroup {
		if p, ok := pages[n]; ok {
			return p
		}
		p := &pageGroup{N: n}
		pages[n] = p
		return p
	}
	for _, s := range all {
		verb, n, ok := pageStep(s)
		if !ok {
			continue
		}
		p := page(n)
		for _, d := range t.descendants(s, 0) {
			used[d.s.ID] = true
			if verb == "PutRecords" && d.depth == 1 && d.s.isSegment() {
				p.Batch.Rows = append(p.Batch.Rows, recordRow{Movie: d.s.annotation("movie_id"), Bar: tl.segBar(d.s, 0)})
				p.Batch.add(d.s)
				continue
			}
			if d.depth <= 1 || !t.underSegment(d.s, s) {
				p.Steps = append(p.Steps, tl.segBar(d.s, d.depth))
			}
		}
	}
	for _, s := range all {
		if !used[s.ID] && t.orphanRecord(s) {
			orphans := page(0)
			orphans.Batch.Rows = append(orphans.Batch.Rows, recordRow{Movie: s.annotation("movie_id"), Bar: tl.segBar(s, 0)})
			orphans.Batch.add(s)
			for _, d := range t.descendants(s, 0) {
				used[d.s.ID] = true
			}
		}
	}
	for _, s := range all {
		if !used[s.ID] {
			g.Run = append(g.Run, tl.segBar(s, t.depth(s)))
		}
	}
	sortBars(g.Run)
	for _, p := range pages {
		p.finish(tl)
		g.Pages = append(g.Pages, *p)
	}
	sort.Slice(g.Pages, func(i, j int) bool { // the orphans (0) last
		a, b := g.Pages[i].N, g.Pages[j].N
		return a != 0 && (b == 0 || a < b)
	})
	return g
}

// pageStep reads "GET page 3" or "PutRecords page 3".
func pageStep(s flatSeg) (verb string, n int, ok bool) {
	verb, num, found := strings.Cut(s.Name, " page ")
	if !found || s.Type != "subsegment" || (verb != "GET" && verb != "PutRecords") {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	return verb, n, err == nil
}

func (b *batchRow) add(s flatSeg) {
	b.Records++
	b.durations = append(b.durations, s.durationMs())
	if s.failed() {
		b.Errors++
	}
}

// finish sorts a page's rows and sets the bars that span them.
func (p *pageGroup) finish(tl timeline) {
	sortBars(p.Steps)
	sort.Slice(p.Batch.Rows, func(i, j int) bool { return p.Batch.Rows[i].Bar.Left < p.Batch.Rows[j].Bar.Left })
	span := func(bars []bar) (from, to float64, ok bool) {
		for i, b := range bars {
			if i == 0 || b.Left < from {
				from = b.Left
			}
			to, ok = max(to, b.Left+b.Width), true
		}
		return from, to, ok
	}
	var rows []bar
	for _, r := range p.Batch.Rows {
		rows = append(rows, r.Bar)
	}
	p.Batch.P50, p.Batch.P99 = fmtMs(percentile(p.Batch.durations, 50)), fmtMs(percentile(p.Batch.durations, 99))
	if from, to, ok := span(rows); ok {
		p.Batch.Bar = bar{Name: "records", Kind: "segment", Left: from, Width: max(0.3, to-from), Error: p.Batch.Errors > 0,
			Ms: fmtMs((to - from) / 100 * tl.span * 1000)}
	}
	from, to, _ := span(append(rows, p.Steps...))
	name := "page " + strconv.Itoa(p.N)
	if p.N == 0 {
		name = "records whose PutRecords is not in the trace"
	}
	p.Bar = bar{Name: name, Kind: "subsegment", Left: from, Width: max(0.3, to-from),
		Ms: fmtMs((to - from) / 100 * tl.span * 1000)}
}

func sortBars(bars []bar) {
	sort.SliceStable(bars, func(i, j int) bool { return bars[i].Left < bars[j].Left })
}

type descendant struct {
	s     flatSeg
	depth int
}

// orphanRecord says s is a record's processor segment (it names its film)
// whose parent, the PutRecords that carried it, is not in the trace: not
// received (yet), or lost.
func (t *traceIndex) orphanRecord(s flatSeg) bool {
	if !s.isSegment() || s.Parent == "" || s.annotation("movie_id") == "" {
		return false
	}
	_, known := t.byID[s.Parent]
	return !known
}

// descendants is s and everything under it, with depths from s's.
func (t *traceIndex) descendants(s flatSeg, depth int) []descendant {
	out := []descendant{{s, depth}}
	for _, c := range t.children[s.ID] {
		if depth < 64 {
			out = append(out, t.descendants(c, depth+1)...)
		}
	}
	return out
}

// underSegment says a segment other than top lies between s and top: s is
// a record's own call (its DynamoDB write), drawn in the record's row.
func (t *traceIndex) underSegment(s, top flatSeg) bool {
	for range 64 {
		p, ok := t.byID[s.Parent]
		if !ok || p.ID == top.ID {
			return false
		}
		if p.isSegment() {
			return true
		}
		s = p
	}
	return false
}

// depth counts s's ancestors in the trace.
func (t *traceIndex) depth(s flatSeg) int {
	d := 0
	for ; d < 64; d++ {
		p, ok := t.byID[s.Parent]
		if !ok {
			break
		}
		s = p
	}
	return d
}

// filmBars is the flat waterfall of one film's path through a trace.
func filmBars(segs []xraylocal.Segment) ([]bar, string) {
	spans := xraylocal.Waterfall(segs)
	total := 0.0
	for _, s := range spans {
		total = max(total, s.End)
	}
	tl := timeline{span: max(total, 1e-3)}
	var bars []bar
	for _, s := range spans {
		bars = append(bars, tl.bar(s.Name, s.Kind, s.Depth, s.Start, s.End, s.Error))
	}
	return bars, fmtMs(tl.span * 1000)
}
