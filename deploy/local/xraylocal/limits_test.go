package xraylocal_test

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

const limitTrace = "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e"

// padded is a segment whose document is about size bytes, by an annotation.
func padded(id string, size int) xraylocal.Segment {
	ann, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", size)})
	return xraylocal.Segment{ID: id, TraceID: limitTrace, Name: "processor", StartTime: 100, EndTime: 101, Annotations: ann}
}

func listen(t *testing.T) *xraylocal.Daemon {
	t.Helper()
	d, err := xraylocal.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// A segment document over 64 KB is refused, as X-Ray refuses it; one under
// is kept.
func TestSegmentDocumentSizeLimit(t *testing.T) {
	d := listen(t)
	d.Put(padded("aaaaaaaaaaaaaaaa", 60<<10))
	d.Put(padded("bbbbbbbbbbbbbbbb", 65<<10))
	if s, ok := d.Summary(limitTrace); !ok || s.Segments != 1 || s.LimitExceeded {
		t.Fatalf("summary %+v, want the 60 KB segment alone", s)
	}
	if got := d.Refused()[xraylocal.RefusedSegmentSize]; got != 1 {
		t.Errorf("%d refused for their size, want 1", got)
	}
	// A trace whose only document is refused is no trace at all.
	big := padded("cccccccccccccccc", 65<<10)
	big.TraceID = "1-6745a3c1-00000000000000000000000c"
	d.Put(big)
	if s, ok := d.Summary(big.TraceID); ok {
		t.Errorf("a trace of a refused document alone: %+v", s)
	}
}

// Documents arriving over UDP count toward their trace's 500 KB: the one
// that would take it past the limit is dropped and the trace is marked
// LimitExceeded, as BatchGetTraces marks it; a later document of a kept
// segment replaces it without counting twice; other traces are untouched.
func TestTraceDocumentSizeLimit(t *testing.T) {
	d := listen(t)
	conn, err := net.Dial("udp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 12 // 12 × ~50 KB: the 11th crosses 500 KB
	for i := range n {
		doc, _ := json.Marshal(padded(fmt.Sprintf("%016x", i+1), 50_000))
		if _, err := conn.Write(append([]byte("{\"format\": \"json\", \"version\": 1}\n"), doc...)); err != nil {
			t.Fatal(err)
		}
		// One at a time: a burst of 50 KB datagrams can overflow a busy
		// machine's socket buffer, and UDP drops what does not fit.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if s, _ := d.Summary(limitTrace); s.Segments+d.Refused()[xraylocal.RefusedTraceDocument] == i+1 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	s, _ := d.Summary(limitTrace)
	if s.Segments != 10 || !s.LimitExceeded || s.Bytes > xraylocal.MaxTraceDocument || s.Bytes < 10*50_000 {
		t.Fatalf("summary %+v, want 10 segments kept, LimitExceeded", s)
	}
	if got := d.Refused()[xraylocal.RefusedTraceDocument]; got != 2 {
		t.Errorf("%d dropped past the trace limit, want 2", got)
	}
	d.Put(padded(fmt.Sprintf("%016x", 1), 50_000)) // the first segment again, completed
	if again, _ := d.Summary(limitTrace); again.Segments != 10 || again.Bytes > xraylocal.MaxTraceDocument {
		t.Errorf("a replaced document counted twice: %+v", again)
	}
	other := xraylocal.Segment{ID: "cccccccccccccccc", TraceID: "1-6745a3c1-000000000000000000000001", Name: "api", StartTime: 1, EndTime: 2}
	d.Put(other)
	if o, ok := d.Summary(other.TraceID); !ok || o.Segments != 1 || o.LimitExceeded {
		t.Errorf("another trace: %+v", o)
	}
}

// With the limit lifted (make bench), every document is kept.
func TestLiftTraceLimit(t *testing.T) {
	d := listen(t)
	d.LiftTraceLimit()
	for i := range 12 {
		d.Put(padded(fmt.Sprintf("%016x", i+1), 50_000))
	}
	if s, _ := d.Summary(limitTrace); s.Segments != 12 || s.LimitExceeded {
		t.Fatalf("summary %+v", s)
	}
}
