package xraylocal_test

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// Segments arrive as the SDKs send them (a header line, then the document)
// and assemble into one trace: a later document of a segment replaces the
// in-progress one, and subsegments nest under their parents.
func TestDaemonAssemblesTraces(t *testing.T) {
	d, err := xraylocal.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	conn, err := net.Dial("udp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const trace = "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e"
	for _, doc := range []string{
		`{"id":"aaaaaaaaaaaaaaaa","trace_id":"` + trace + `","name":"api/local","start_time":100.0,"in_progress":true}`,
		`{"id":"aaaaaaaaaaaaaaaa","trace_id":"` + trace + `","name":"api/local","start_time":100.0,"end_time":101.0}`,
		`{"id":"bbbbbbbbbbbbbbbb","trace_id":"` + trace + `","parent_id":"aaaaaaaaaaaaaaaa","name":"scraper","start_time":100.1,"end_time":100.9,` +
			`"subsegments":[{"id":"cccccccccccccccc","name":"PutRecords page 1","start_time":100.2,"end_time":100.3,"subsegments":[{"id":"dddddddddddddddd","name":"Kinesis","namespace":"aws","start_time":100.21,"end_time":100.29}]}]}`,
		`{"id":"eeeeeeeeeeeeeeee","trace_id":"` + trace + `","parent_id":"cccccccccccccccc","name":"processor","start_time":100.5,"end_time":100.6,"error":true}`,
		`not a segment`,
	} {
		if _, err := conn.Write([]byte("{\"format\": \"json\", \"version\": 1}\n" + doc)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(d.Trace(trace)) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	segs := d.Trace(trace)
	if len(segs) != 3 || segs[0].InProgress {
		t.Fatalf("segments %+v", segs)
	}
	spans := xraylocal.Waterfall(segs)
	var got []string
	for _, s := range spans {
		got = append(got, strings.Repeat(">", s.Depth)+s.Name)
	}
	want := "api/local,>scraper,>>PutRecords page 1,>>>Kinesis,>>>processor"
	if strings.Join(got, ",") != want {
		t.Fatalf("waterfall %v, want %s", got, want)
	}
	if !spans[4].Error || spans[3].Kind != "aws" {
		t.Errorf("spans %+v", spans)
	}
	var out bytes.Buffer
	xraylocal.Print(&out, trace, spans, 20)
	if !strings.Contains(out.String(), "processor") || !strings.Contains(out.String(), "1.00s") {
		t.Errorf("printed:\n%s", out.String())
	}
	if ids := d.Traces(10); len(ids) != 1 || ids[0] != trace {
		t.Errorf("traces %v", ids)
	}
	if root, ok := d.Root(trace); !ok || root.Name != "api/local" || root.EndTime != 101.0 {
		t.Errorf("root %+v, %v; want the finished api/local", root, ok)
	}
	if _, ok := d.Root("1-00000000-000000000000000000000000"); ok {
		t.Error("a root for an unknown trace")
	}
}
