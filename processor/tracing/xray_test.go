package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-xray-sdk-go/v2/xray"

	"github.com/moviepipe/moviepipe/processor/tracing"
)

// The record's segment continues the producer's trace: same trace id, the
// producer's segment as parent, and the producer's sampling decision.
func TestRecordContinuesTheProducersTrace(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := xray.Configure(xray.Config{DaemonAddr: conn.LocalAddr().String()}); err != nil {
		t.Fatal(err)
	}
	const header = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"
	ctx, end := tracing.XRay{Name: "processor"}.Record(context.Background(), header, "tt0111161")
	if xray.GetSegment(ctx) == nil {
		t.Fatal("no segment in the record's context")
	}
	end(nil)

	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	_, doc, ok := bytes.Cut(buf[:n], []byte("\n"))
	if !ok {
		t.Fatalf("datagram has no header line: %q", buf[:n])
	}
	var seg struct {
		Name        string            `json:"name"`
		TraceID     string            `json:"trace_id"`
		ParentID    string            `json:"parent_id"`
		ID          string            `json:"id"`
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(doc, &seg); err != nil {
		t.Fatal(err)
	}
	if seg.Name != "processor" || seg.TraceID != "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e" || seg.ParentID != "53995c3f42cd8ad8" || seg.ID == "" || seg.Annotations["movie_id"] != "tt0111161" {
		t.Fatalf("segment %s", doc)
	}
}

// BenchmarkRecordSegment is what tracing costs a sampled record: its
// segment and its store call's subsegment, sent to a local daemon address.
func BenchmarkRecordSegment(b *testing.B) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	go func() { // a daemon that reads and drops
		buf := make([]byte, 64<<10)
		for {
			if _, _, err := conn.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	tracing.Quiet(slog.New(slog.DiscardHandler)) // the SDK logs its emitter's address
	if err := xray.Configure(xray.Config{DaemonAddr: conn.LocalAddr().String()}); err != nil {
		b.Fatal(err)
	}
	x := tracing.XRay{Name: "processor"}
	const header = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"
	b.ReportAllocs()
	for b.Loop() {
		ctx, end := x.Record(context.Background(), header, "mv-the-land-girls-1998-6d1f0a01")
		x.Call(ctx, "DynamoDB")(nil)
		end(nil)
	}
}
