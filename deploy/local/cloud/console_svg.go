package cloud

import (
	"fmt"
	"sort"
	"strings"
)

// The service map's geometry, in SVG user units.
const (
	mapWidth  = 1240.0
	boxWidth  = 150.0
	boxHeight = 56.0
	rowGap    = 112.0
)

// layout places nodes in columns by their longest path from a caller-less
// node (API → function → stream → function → table), rows by label.
func (m *serviceMap) layout() {
	byID := map[string]*mapNode{}
	for _, n := range m.Nodes {
		byID[n.ID] = n
	}
	for range m.Nodes { // a DAG settles in len(Nodes) rounds; a cycle stops there too
		changed := false
		for _, e := range m.Edges {
			from, to := byID[e.From], byID[e.To]
			if from != to && to.Column < from.Column+1 {
				to.Column, changed = from.Column+1, true
			}
		}
		if !changed {
			break
		}
	}
	sort.Slice(m.Nodes, func(i, j int) bool {
		a, b := m.Nodes[i], m.Nodes[j]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Title < b.Title
	})
	columns, rows := 0, map[int]int{}
	for _, n := range m.Nodes {
		n.Row = rows[n.Column]
		rows[n.Column]++
		columns = max(columns, n.Column)
	}
	gap := (mapWidth - 40 - boxWidth) / float64(max(1, columns))
	most := 0
	for _, n := range m.Nodes {
		n.X, n.Y = 20+float64(n.Column)*gap, 24+float64(n.Row)*rowGap
		most = max(most, rows[n.Column])
	}
	m.Width, m.Height = mapWidth, 24+float64(max(1, most))*rowGap
	for _, e := range m.Edges {
		from, to := byID[e.From], byID[e.To]
		e.X1, e.Y1 = from.X+boxWidth, from.Y+boxHeight/2
		e.X2, e.Y2 = to.X, to.Y+boxHeight/2
	}
}

// fmtMs writes milliseconds as a person reads them: 0.4 ms, 12 ms, 1.3 s.
func fmtMs(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.1f s", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0f ms", ms)
	default:
		return fmt.Sprintf("%.1f ms", ms)
	}
}

// fmtCount writes a count with thousands separators: 3,200.
func fmtCount(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// series is one line of a run's progress chart: a count over time.
type series struct {
	Name, Note string
	Points     []point // by time, cumulative
	Total      int
	Path       string // the SVG polyline's points
	MaxT       float64
}

// point is a count at a time, in seconds since the run began.
type point struct {
	T float64
	N int
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 300.0
	chartHeight = 120.0
)

// cumulative turns event times (seconds since the run began) into a
// stepped count over time, drawn over [0, span].
func cumulative(name, note string, times []float64, span float64) series {
	sort.Float64s(times)
	s := series{Name: name, Note: note, Total: len(times), MaxT: span}
	s.Points = append(s.Points, point{0, 0})
	for i, t := range times {
		s.Points = append(s.Points, point{t, i + 1})
	}
	s.Path = s.svgPath(span)
	return s
}

func (s series) svgPath(span float64) string {
	if span <= 0 {
		span = 1
	}
	top := max(1, s.Total)
	x := func(t float64) float64 { return min(chartWidth, t/span*chartWidth) }
	y := func(n int) float64 { return chartHeight - float64(n)/float64(top)*(chartHeight-8) }
	var b strings.Builder
	last := 0
	for _, p := range s.Points {
		fmt.Fprintf(&b, "%.1f,%.1f %.1f,%.1f ", x(p.T), y(last), x(p.T), y(p.N))
		last = p.N
	}
	fmt.Fprintf(&b, "%.1f,%.1f", chartWidth, y(last))
	return b.String()
}
