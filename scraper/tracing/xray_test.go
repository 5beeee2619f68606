package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-xray-sdk-go/v2/xray"

	"github.com/moviepipe/moviepipe/scraper/tracing"
)

// A run's continuation segment and the subsegments the scraper opens carry
// the run id as the annotation run_id, so that X-Ray's filter expression
// annotation.run_id = "…" finds the run.
func TestSegmentsCarryTheRunID(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := xray.Configure(xray.Config{DaemonAddr: conn.LocalAddr().String()}); err != nil {
		t.Fatal(err)
	}
	const run = "run-20261203T054500Z-0a1b2c3d"
	x := tracing.XRay{Name: "scraper"}
	ctx, end := x.Resume(context.Background(), "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1", run)
	_, endPage := x.Start(ctx, "PutRecords page 1", run)
	endPage(nil)
	end(nil)

	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64<<10)
	n, _, err := conn.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	_, doc, _ := bytes.Cut(buf[:n], []byte("\n"))
	var seg struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
		Subsegments []struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"subsegments"`
	}
	if err := json.Unmarshal(doc, &seg); err != nil {
		t.Fatal(err)
	}
	if seg.Annotations[tracing.RunAnnotation] != run || len(seg.Subsegments) != 1 || seg.Subsegments[0].Annotations[tracing.RunAnnotation] != run {
		t.Fatalf("segment %s", doc)
	}
}
