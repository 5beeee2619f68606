package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-xray-sdk-go/v2/xray"

	"github.com/moviepipe/moviepipe/processor/tracing"
)

// The record's segment continues the producer's trace: same trace id, the
// producer's segment as parent, and the producer's sampling decision.
func TestRecordContinuesTheProducersTrace(t *testing.T) {
	conn := daemon(t)
	ctx, end := tracing.XRay{Name: "processor"}.Record(context.Background(), testHeader, "tt0111161", "run-20261203T054500Z-0a1b2c3d")
	if xray.GetSegment(ctx) == nil {
		t.Fatal("no segment in the record's context")
	}
	end(nil)
	doc := readSegment(t, conn)
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
	if seg.Name != "processor" || seg.TraceID != "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e" || seg.ParentID != "53995c3f42cd8ad8" || seg.ID == "" ||
		seg.Annotations["movie_id"] != "tt0111161" || seg.Annotations["run_id"] != "run-20261203T054500Z-0a1b2c3d" {
		t.Fatalf("segment %s", doc)
	}
}

const testHeader = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"

// A record whose header says Sampled=0 still knows its trace id, but
// neither its segment nor its store call's subsegment is sent: the first
// document the daemon receives afterwards is the next sampled record's.
func TestUnsampledRecordSendsNoSegment(t *testing.T) {
	conn := daemon(t)
	client := dynamo(t)
	x := tracing.XRay{Name: "processor"}
	unsampled := strings.Replace(testHeader, "Sampled=1", "Sampled=0", 1)
	ctx, end := x.Record(context.Background(), unsampled, "tt0000001", "run-1")
	if seg := xray.GetSegment(ctx); seg == nil || seg.TraceID != "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e" {
		t.Fatalf("the unsampled record's segment does not name its trace: %+v", seg)
	}
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies"), Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "tt0000001"}}})
	end(err)
	if err != nil {
		t.Fatal(err)
	}
	_, end = x.Record(context.Background(), testHeader, "tt0000002", "run-1")
	end(nil)
	var seg struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := json.Unmarshal(readSegment(t, conn), &seg); err != nil || seg.Annotations["movie_id"] != "tt0000002" {
		t.Fatalf("first document received is %+v (%v); want the sampled record's", seg, err)
	}
}

// dynamo is an instrumented DynamoDB client whose calls all succeed.
func dynamo(t *testing.T) *dynamodb.Client {
	t.Helper()
	ddb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(ddb.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), BaseEndpoint: aws.String(ddb.URL)}
	tracing.Instrument(&cfg)
	return dynamodb.NewFromConfig(cfg)
}

// daemon listens as the X-Ray daemon does and points the SDK at it.
func daemon(t *testing.T) net.PacketConn {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := xray.Configure(xray.Config{DaemonAddr: conn.LocalAddr().String()}); err != nil {
		t.Fatal(err)
	}
	return conn
}

// readSegment reads one datagram and returns its segment document.
func readSegment(t *testing.T, conn net.PacketConn) []byte {
	t.Helper()
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
	return doc
}

// BenchmarkRecordSegment is what tracing costs a sampled record: its
// segment and its PutItem's subsegment, sent to a local daemon address.
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
		ctx, end := x.Record(context.Background(), header, "mv-the-land-girls-1998-6d1f0a01", "run-20261203T054500Z-0a1b2c3d")
		_, call := xray.BeginSubsegment(ctx, "DynamoDB") // what the instrumented client opens for PutItem
		call.Close(nil)
		end(nil)
	}
}

// The record's write is the instrumented SDK's own PutItem subsegment, inside
// the record's segment: what X-Ray shows as the record's DynamoDB entry is
// the real call.
func TestStoreCallIsASubsegmentOfTheRecord(t *testing.T) {
	conn := daemon(t)
	client := dynamo(t)

	ctx, end := tracing.XRay{Name: "processor"}.Record(context.Background(), testHeader, "tt0111161", "run-1")
	_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies"), Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "tt0111161"}}})
	end(err)
	if err != nil {
		t.Fatal(err)
	}
	var seg struct {
		Name        string `json:"name"`
		Subsegments []struct {
			Name      string         `json:"name"`
			Namespace string         `json:"namespace"`
			AWS       map[string]any `json:"aws"`
		} `json:"subsegments"`
	}
	if err := json.Unmarshal(readSegment(t, conn), &seg); err != nil {
		t.Fatal(err)
	}
	if seg.Name != "processor" || len(seg.Subsegments) != 1 {
		t.Fatalf("segment %+v; want processor with one subsegment", seg)
	}
	if sub := seg.Subsegments[0]; sub.Name != "DynamoDB" || sub.Namespace != "aws" || sub.AWS["operation"] != "PutItem" {
		t.Fatalf("subsegment %+v; want the SDK's DynamoDB PutItem", sub)
	}
}
