package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
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
