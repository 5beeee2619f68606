// Package xraylocal receives X-Ray segment documents over UDP as the X-Ray
// daemon does, keeps them per trace within X-Ray's documented size limits
// (limits.go), and draws a trace as a waterfall.
package xraylocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"time"
)

// Segment is a segment or subsegment document, as the SDKs send them.
type Segment struct {
	ID          string          `json:"id"`
	Type        string          `json:"type,omitempty"` // "subsegment" for a subsegment sent on its own
	TraceID     string          `json:"trace_id,omitempty"`
	ParentID    string          `json:"parent_id,omitempty"`
	Name        string          `json:"name"`
	StartTime   float64         `json:"start_time"`
	EndTime     float64         `json:"end_time,omitempty"`
	InProgress  bool            `json:"in_progress,omitempty"`
	Namespace   string          `json:"namespace,omitempty"`
	Origin      string          `json:"origin,omitempty"`
	Error       bool            `json:"error,omitempty"`
	Fault       bool            `json:"fault,omitempty"`
	Throttle    bool            `json:"throttle,omitempty"`
	Subsegments []Segment       `json:"subsegments,omitempty"`
	AWS         json.RawMessage `json:"aws,omitempty"`
	HTTP        json.RawMessage `json:"http,omitempty"`
	Annotations json.RawMessage `json:"annotations,omitempty"`
}

// Daemon collects segments.
type Daemon struct {
	conn net.PacketConn
	mu   sync.Mutex
	// traces maps a trace id to its segments by id (the latest document wins).
	traces  map[string]*trace
	order   []string
	max     int
	refused map[Refusal]int
	// traceLimit is the trace document size limit; 0 lifts it.
	traceLimit int
	wg         sync.WaitGroup
}

// Listen starts a daemon on a loopback UDP port.
func Listen() (*Daemon, error) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &Daemon{conn: conn, traces: map[string]*trace{}, max: 2000, refused: map[Refusal]int{}, traceLimit: MaxTraceDocument}
	d.wg.Go(d.loop)
	return d, nil
}

// Addr is the daemon's address, for AWS_XRAY_DAEMON_ADDRESS.
func (d *Daemon) Addr() string { return d.conn.LocalAddr().String() }

// Close stops receiving.
func (d *Daemon) Close() error {
	err := d.conn.Close()
	d.wg.Wait()
	return err
}

func (d *Daemon) loop() {
	buf := make([]byte, 1<<16) // a UDP datagram's most
	for {
		n, _, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		_, doc, ok := bytes.Cut(buf[:n], []byte("\n"))
		var s Segment
		if !ok || json.Unmarshal(doc, &s) != nil || s.ID == "" || s.TraceID == "" {
			d.refuse(RefusedUnreadable)
			continue
		}
		d.put(s, len(doc))
	}
}

// Put stores a segment document (the daemon's own, or one received), as
// the X-Ray API would: within the segment and trace document size limits.
func (d *Daemon) Put(s Segment) {
	if s.TraceID == "" {
		d.refuse(RefusedUnreadable)
		return
	}
	doc, _ := json.Marshal(s)
	d.put(s, len(doc))
}

func (d *Daemon) put(s Segment, size int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if size > MaxSegmentDocument { // refused before it makes a trace of its own
		d.refused[RefusedSegmentSize]++
		return
	}
	t, ok := d.traces[s.TraceID]
	if !ok {
		t = newTrace()
		d.traces[s.TraceID] = t
		d.order = append(d.order, s.TraceID)
		if len(d.order) > d.max {
			delete(d.traces, d.order[0])
			d.order = d.order[1:]
		}
	}
	if why := t.add(s, size, d.traceLimit); why != "" {
		d.refused[why]++
	}
}

func (d *Daemon) refuse(why Refusal) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refused[why]++
}

// Trace returns a trace's segments, by start time.
func (d *Daemon) Trace(id string) []Segment {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Segment
	if t := d.traces[id]; t != nil {
		for _, s := range t.segs {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartTime < out[j].StartTime })
	return out
}

// Root returns a trace's first segment without a parent: where it started.
func (d *Daemon) Root(id string) (Segment, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var root Segment
	found := false
	t := d.traces[id]
	if t == nil {
		return root, false
	}
	for _, s := range t.segs {
		if s.ParentID == "" && (!found || s.StartTime < root.StartTime) {
			root, found = s, true
		}
	}
	return root, found
}

// Traces returns the ids of the most recent traces, newest first.
func (d *Daemon) Traces(n int) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for i := len(d.order) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, d.order[i])
	}
	return out
}

// Span is one bar of a waterfall.
type Span struct {
	Name       string
	Depth      int
	Start, End float64 // seconds since the trace began
	Error      bool
	Kind       string // segment, subsegment, aws
}

// Waterfall flattens a trace's segments and subsegments into bars, each
// under its parent, in start order.
func Waterfall(segs []Segment) []Span {
	nodes := map[string]*node{}
	var all []*node
	var add func(s Segment, parent string, kind string)
	add = func(s Segment, parent string, kind string) {
		if parent == "" {
			parent = s.ParentID
		}
		n := &node{s: s, parent: parent, kind: kind}
		if s.Type == "subsegment" {
			n.kind = "subsegment"
		}
		if s.Namespace == "aws" {
			n.kind = "aws"
		}
		nodes[s.ID] = n
		all = append(all, n)
		for _, c := range s.Subsegments {
			add(c, s.ID, "subsegment")
		}
	}
	for _, s := range segs {
		add(s, "", "segment")
	}
	var roots []*node
	for _, n := range all {
		if p, ok := nodes[n.parent]; ok && n.parent != "" {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	if len(all) == 0 {
		return nil
	}
	t0 := all[0].s.StartTime
	for _, n := range all {
		t0 = min(t0, n.s.StartTime)
	}
	var out []Span
	var walk func(ns []*node, depth int)
	walk = func(ns []*node, depth int) {
		sort.Slice(ns, func(i, j int) bool { return ns[i].s.StartTime < ns[j].s.StartTime })
		for _, n := range ns {
			end := n.s.EndTime
			if end == 0 {
				end = n.s.StartTime
			}
			out = append(out, Span{Name: n.s.Name, Depth: depth, Start: n.s.StartTime - t0, End: end - t0,
				Error: n.s.Error || n.s.Fault, Kind: n.kind})
			walk(n.children, depth+1)
		}
	}
	walk(roots, 0)
	return out
}

type node struct {
	s        Segment
	parent   string
	kind     string
	children []*node
}

// Print draws a waterfall as text, width columns wide for the bars.
func Print(w io.Writer, traceID string, spans []Span, width int) {
	total := 0.0
	for _, s := range spans {
		total = max(total, s.End)
	}
	if total == 0 {
		total = 1e-3
	}
	fmt.Fprintf(w, "trace %s  (%s)\n", traceID, fmtDur(total))
	for _, s := range spans {
		from := int(s.Start / total * float64(width))
		to := max(from+1, int(s.End/total*float64(width)))
		bar := strings.Repeat(" ", from) + strings.Repeat("█", min(to, width)-from)
		mark := ""
		if s.Error {
			mark = " !"
		}
		label := strings.Repeat("  ", s.Depth) + s.Name
		if len(label) > 38 {
			label = label[:37] + "…"
		}
		fmt.Fprintf(w, "  %-38s %9s  |%-*s|%s\n", label, fmtDur(s.End-s.Start), width, bar, mark)
	}
}

func fmtDur(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
}

// Film keeps, of a scrape's trace, what concerns one film: the trigger,
// the scraper, the page fetch and PutRecords that carried the film, and the
// processor segment that stored it. The SDKs send each subsegment of a
// Lambda function as a document of its own; this works on those documents.
func Film(segs []Segment, id string) []Segment {
	putRecords := map[string]bool{}
	var film []Segment
	for _, s := range segs {
		var ann map[string]any
		_ = json.Unmarshal(s.Annotations, &ann)
		if ann["movie_id"] == id {
			film = append(film, s)
			putRecords[s.ParentID] = true
		}
	}
	pages, functions := map[string]bool{}, map[string]bool{}
	for _, s := range segs {
		if putRecords[s.ID] {
			pages["GET "+strings.TrimPrefix(s.Name, "PutRecords ")] = true
			functions[s.ParentID] = true
		}
	}
	var out []Segment
	for _, s := range segs {
		switch {
		case s.Origin == "AWS::ApiGateway::Stage", functions[s.ID], putRecords[s.ID], pages[s.Name] && functions[s.ParentID]:
			out = append(out, s)
		}
	}
	return append(out, film...)
}

// Films lists the films whose records a scrape's trace followed into the
// processor (its segments annotated movie_id), each once, in start order:
// the sampled records (a record delivered again has a segment per
// delivery); the others carried Sampled=0 and sent no segment.
func Films(segs []Segment) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range segs {
		var ann map[string]any
		_ = json.Unmarshal(s.Annotations, &ann)
		if id, ok := ann["movie_id"].(string); ok && s.Name == "processor" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
