package cloud

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// flatSeg is a segment or subsegment document with its parent resolved: a
// subsegment nested in a document belongs to that document, whatever its
// parent_id says (the Go SDK gives an AWS call nested in a subsegment the
// function's segment as parent_id).
type flatSeg struct {
	xraylocal.Segment
	Parent string
}

// flatten lists every segment and subsegment of segs, nested ones included.
func flatten(segs []xraylocal.Segment) []flatSeg {
	var out []flatSeg
	var add func(s xraylocal.Segment, parent string)
	add = func(s xraylocal.Segment, parent string) {
		if parent == "" {
			parent = s.ParentID
		}
		subs := s.Subsegments
		s.Subsegments = nil
		out = append(out, flatSeg{Segment: s, Parent: parent})
		for _, c := range subs {
			if c.Type == "" { // a subsegment sent inside its segment carries no type
				c.Type = "subsegment"
			}
			add(c, s.ID)
		}
	}
	for _, s := range segs {
		add(s, "")
	}
	return out
}

// durationMs is a (sub)segment's duration in milliseconds; 0 while in progress.
func (s flatSeg) durationMs() float64 {
	if s.EndTime < s.StartTime {
		return 0
	}
	return (s.EndTime - s.StartTime) * 1000
}

func (s flatSeg) failed() bool { return s.Error || s.Fault || s.Throttle }

// isSegment says s is a service's own segment, not a subsegment.
func (s flatSeg) isSegment() bool { return s.Type != "subsegment" && s.Namespace == "" }

// annotation is one of s's annotations as text, or "".
func (s flatSeg) annotation(key string) string {
	var ann map[string]any
	if json.Unmarshal(s.Annotations, &ann) != nil {
		return ""
	}
	if v, ok := ann[key]; ok {
		return fmt.Sprint(v)
	}
	return ""
}

// awsField is a string field of s's aws object ("table_name", "operation").
func (s flatSeg) awsField(key string) string {
	var a map[string]any
	if json.Unmarshal(s.AWS, &a) != nil {
		return ""
	}
	v, _ := a[key].(string)
	return v
}

const apiGatewayOrigin = "AWS::ApiGateway::Stage"

// mapNode is a box of the service map: an API, a function, a stream or a table.
type mapNode struct {
	ID, Kind, Label, Title string
	Count, Errors          int
	Column, Row            int
	X, Y                   float64 // of the box's top-left corner, in the SVG
}

// mapEdge is a call from one node to another: how many, how many failed,
// and the callee's duration as the caller saw it.
type mapEdge struct {
	From, To       string
	Count, Errors  int
	P50, P99       float64 // milliseconds
	durations      []float64
	X1, Y1, X2, Y2 float64
}

// serviceMap is what the index draws: the nodes and edges of recent traces.
type serviceMap struct {
	Nodes         []*mapNode
	Edges         []*mapEdge
	Width, Height float64
	Traces        int
}

// tableHints names the DynamoDB tables of calls whose segment does not (the
// Go SDK's instrumentation records no table_name): a processor call for a
// film the processor parked went to Errors, any other to Movies.
type tableHints struct {
	Movies, Errors string
	Parked         map[string]bool // movie ids the processor parked
}

// buildServiceMap reads the nodes and edges of traces, as the X-Ray console
// draws its trace map: API Gateway → function → stream → function → tables.
func buildServiceMap(traces [][]xraylocal.Segment, hints tableHints) *serviceMap {
	m := &serviceMap{Traces: len(traces)}
	nodes, edges := map[string]*mapNode{}, map[[2]string]*mapEdge{}
	node := func(id, kind, label, title string) *mapNode {
		if n, ok := nodes[id]; ok {
			return n
		}
		n := &mapNode{ID: id, Kind: kind, Label: label, Title: title}
		nodes[id] = n
		return n
	}
	edge := func(from, to *mapNode, s flatSeg) {
		e, ok := edges[[2]string{from.ID, to.ID}]
		if !ok {
			e = &mapEdge{From: from.ID, To: to.ID}
			edges[[2]string{from.ID, to.ID}] = e
		}
		e.Count++
		e.durations = append(e.durations, s.durationMs())
		if s.failed() {
			e.Errors++
		}
	}
	for _, segs := range traces {
		t := newTraceIndex(flatten(segs))
		for _, s := range t.all {
			from, to := t.call(s, hints, node)
			if to == nil {
				continue
			}
			to.Count++
			if s.failed() {
				to.Errors++
			}
			if from != nil {
				edge(from, to, s)
			}
		}
	}
	for _, n := range nodes {
		m.Nodes = append(m.Nodes, n)
	}
	for _, e := range edges {
		e.P50, e.P99 = percentile(e.durations, 50), percentile(e.durations, 99)
		m.Edges = append(m.Edges, e)
	}
	sort.Slice(m.Edges, func(i, j int) bool {
		return m.Edges[i].From+"→"+m.Edges[i].To < m.Edges[j].From+"→"+m.Edges[j].To
	})
	m.layout()
	return m
}

// traceIndex finds a trace's (sub)segments by id and by parent.
type traceIndex struct {
	all      []flatSeg
	byID     map[string]flatSeg
	children map[string][]flatSeg
}

func newTraceIndex(all []flatSeg) *traceIndex {
	t := &traceIndex{all: all, byID: map[string]flatSeg{}, children: map[string][]flatSeg{}}
	for _, s := range all {
		t.byID[s.ID] = s
		t.children[s.Parent] = append(t.children[s.Parent], s)
	}
	return t
}

// owner is the service segment s belongs to: s itself or its nearest
// enclosing segment, and of segments directly under another function's
// segment (the scraper continuing a run in a segment of its own), the
// outermost.
func (t *traceIndex) owner(s flatSeg) (flatSeg, bool) {
	for i := 0; !s.isSegment(); i++ {
		p, ok := t.byID[s.Parent]
		if !ok || i == 64 {
			return flatSeg{}, false
		}
		s = p
	}
	for range 64 {
		p, ok := t.byID[s.Parent]
		if !ok || !p.isSegment() || p.Origin == apiGatewayOrigin || s.Origin == apiGatewayOrigin {
			break
		}
		s = p
	}
	return s, true
}

type nodeFunc func(id, kind, label, title string) *mapNode

// call is the caller and callee of s when s is a node's work: an API
// Gateway request (no caller), a function's segment (called by its API, or
// by the stream its trace header came through), or an AWS call.
func (t *traceIndex) call(s flatSeg, hints tableHints, node nodeFunc) (from, to *mapNode) {
	switch {
	case s.Origin == apiGatewayOrigin:
		return nil, apiNode(s, node)
	case s.Namespace == "aws":
		caller, ok := t.owner(s)
		if !ok {
			return nil, nil
		}
		return t.function(caller, node), t.resource(s, caller, hints, node)
	case s.isSegment():
		p, ok := t.byID[s.Parent]
		if ok && p.isSegment() && p.Origin != apiGatewayOrigin {
			return nil, nil // its parent's work, continued: counted there
		}
		to = t.function(s, node)
		switch {
		case !ok:
			return nil, to
		case p.Origin == apiGatewayOrigin:
			return apiNode(p, node), to
		case p.Namespace == "aws" && p.Name != "Kinesis": // invoked by a call (Lambda Invoke)
			caller, ok := t.owner(p)
			if !ok || t.function(caller, node) == to {
				return nil, to // a function continuing itself: its invoke is the edge
			}
			return t.resource(p, caller, hints, node), to
		}
		for _, c := range t.children[p.ID] {
			if c.Namespace == "aws" && c.Name == "Kinesis" {
				return t.resource(c, p, hints, node), to
			}
		}
		if caller, ok := t.owner(p); ok {
			return t.function(caller, node), to
		}
		return nil, to
	}
	return nil, nil
}

// apiNode is the node of an API Gateway stage's segment, named
// "{api id}-{API name}/{stage}": local-moviepipe-scraper/local is "scraper API".
func apiNode(s flatSeg, node nodeFunc) *mapNode {
	name, _, _ := strings.Cut(s.Name, "/")
	if _, api, ok := strings.Cut(name, "-moviepipe-"); ok {
		name = api
	}
	return node("api:"+s.Name, "api", name+" API", s.Name)
}

// function is the node of a function's segment, labelled without the
// service's prefix and stage: moviepipe-scraper-local is "scraper λ".
func (t *traceIndex) function(s flatSeg, node nodeFunc) *mapNode {
	label := strings.TrimPrefix(s.Name, "moviepipe-")
	if i := strings.LastIndex(label, "-"); i > 0 && strings.HasPrefix(s.Name, "moviepipe-") {
		label = label[:i]
	}
	return node("fn:"+s.Name, "function", label+" λ", s.Name)
}

// resource is the node an AWS call reached: a stream, a table (named by the
// call, or by hints for the processor's), or the service.
func (t *traceIndex) resource(call, caller flatSeg, hints tableHints, node nodeFunc) *mapNode {
	switch call.Name {
	case "Kinesis":
		name := call.awsField("stream_name")
		return node("kinesis:"+name, "stream", "Kinesis stream", strings.TrimSpace("Kinesis "+name))
	case "DynamoDB":
		table := call.awsField("table_name")
		if movie := caller.annotation("movie_id"); table == "" && movie != "" && hints.Movies != "" {
			table = hints.Movies
			if hints.Parked[movie] {
				table = hints.Errors
			}
		}
		if table == "" {
			return node("dynamodb:", "table", "DynamoDB", "DynamoDB: the call names no table")
		}
		label := table
		switch table {
		case hints.Movies:
			label = "movies table"
		case hints.Errors:
			label = "errors table"
		}
		return node("dynamodb:"+table, "table", label, "DynamoDB "+table)
	}
	return node("aws:"+call.Name, "service", call.Name, call.Name)
}

// percentile is the nearest-rank p-th percentile of values, 0 for none.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	rank := int(math.Ceil(p / 100 * float64(len(v))))
	return v[max(0, min(rank, len(v))-1)]
}
