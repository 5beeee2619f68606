package xraylocal

// X-Ray's quotas, as "AWS X-Ray endpoints and quotas" lists them
// (docs.aws.amazon.com/general/latest/gr/xray.html): neither is adjustable.
const (
	// MaxSegmentDocument is the "Segment document size" quota, 64 KB. The
	// daemon's UDP receive buffer is as large, and a datagram cannot be
	// larger, so over UDP a larger document never arrives whole.
	MaxSegmentDocument = 64 << 10
	// MaxTraceDocument is the "Trace document size" quota, 500 KB: the sum
	// of a trace's segment documents. X-Ray marks a trace past it
	// LimitExceeded (BatchGetTraces' Trace.LimitExceeded) and refuses the
	// segments that would take it further (InvalidSegment); re:Post's
	// x-ray-trace-quota-error adds that segments sent one at a time over a
	// long trace may meet a lower, dynamic limit (100 KB), which this
	// daemon does not emulate.
	MaxTraceDocument = 500 << 10
)

// Refusal says why a document was not kept.
type Refusal string

// The refusals.
const (
	RefusedUnreadable    Refusal = "unreadable"            // no header line, not JSON, no id or trace id
	RefusedSegmentSize   Refusal = "segment document size" // over MaxSegmentDocument
	RefusedTraceDocument Refusal = "trace document size"   // would take its trace past MaxTraceDocument
)

// Summary is what the daemon knows of a trace's size, as X-Ray's
// BatchGetTraces answers LimitExceeded.
type Summary struct {
	ID       string `json:"Id"`
	Bytes    int    `json:"Bytes"`    // the sum of its kept segment documents
	Segments int    `json:"Segments"` // documents kept (subsegments nested in one count with it)
	// LimitExceeded is true once a document was refused because it would
	// take the trace past MaxTraceDocument.
	LimitExceeded bool `json:"LimitExceeded"`
}

// trace is one trace's documents and their sizes.
type trace struct {
	segs          map[string]Segment
	sizes         map[string]int
	bytes         int
	limitExceeded bool
}

func newTrace() *trace { return &trace{segs: map[string]Segment{}, sizes: map[string]int{}} }

// add keeps s, whose document is size bytes, unless a limit refuses it; a
// later document of a segment replaces the earlier one and its size. limit
// 0 lifts the trace document size limit.
func (t *trace) add(s Segment, size, limit int) Refusal {
	if size > MaxSegmentDocument {
		return RefusedSegmentSize
	}
	grown := t.bytes - t.sizes[s.ID] + size
	if limit > 0 && grown > limit {
		t.limitExceeded = true
		return RefusedTraceDocument
	}
	t.segs[s.ID], t.sizes[s.ID], t.bytes = s, size, grown
	return ""
}

// Summary returns a trace's size and whether it exceeded the trace document
// size limit; false when the trace is unknown.
func (d *Daemon) Summary(id string) (Summary, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.traces[id]
	if t == nil {
		return Summary{}, false
	}
	return Summary{ID: id, Bytes: t.bytes, Segments: len(t.segs), LimitExceeded: t.limitExceeded}, true
}

// Refused counts the documents not kept, by reason.
func (d *Daemon) Refused() map[Refusal]int {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[Refusal]int, len(d.refused))
	for k, v := range d.refused {
		out[k] = v
	}
	return out
}

// LiftTraceLimit keeps every document of a trace, however large it grows:
// only for measurements that need every segment (make bench traces every
// record to time it); the cloud says so when it starts.
func (d *Daemon) LiftTraceLimit() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.traceLimit = 0
}
