package processor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/processor/dynamo"
)

// noopAPI accepts every write, so the benchmark measures the processor alone.
type noopAPI struct{}

func (noopAPI) PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return &dynamodb.PutItemOutput{}, nil
}

func (noopAPI) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return &dynamodb.BatchWriteItemOutput{}, nil
}

// catalogueBatch is n records as the scraper publishes a catalogue page:
// compact JSON, every field present, each its own film (one title in 25 with
// an ampersand, which encoding/json escapes), the run id, source URL, scrape
// time and trace header shared.
func catalogueBatch(b *testing.B, n int) [][]byte {
	_, valid := golden(b, "valid")
	var full []byte
	for _, d := range valid {
		if len(d) > len(full) {
			full = d
		}
	}
	var m map[string]any
	if err := json.Unmarshal(full, &m); err != nil {
		b.Fatal(err)
	}
	m["sourceUrl"] = "http://127.0.0.1:8080/films?page=3"
	datas := make([][]byte, n)
	for i := range datas {
		m["id"] = fmt.Sprintf("mv-film-%d-%d-%08x", i, 1950+i%60, i)
		m["title"] = fmt.Sprintf("Film Noir Story No. %d", i)
		if i%25 == 0 {
			m["title"] = fmt.Sprintf("Fast & Furious %d", i)
		}
		m["director"] = fmt.Sprintf("Director %d", i%37)
		m["year"] = 1950 + i%60
		m["releaseDate"] = fmt.Sprintf("%d-%02d-%02d", 1950+i%60, 1+i%12, 1+i%28)
		m["imdbRating"] = float64(i%100) / 10
		m["usGross"] = 1000 * i
		var err error
		if datas[i], err = json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
	return datas
}

// BenchmarkBatchNoopStore is the CPU per record for decode (encoding/json),
// validation (jsonschema) and the conditional PutItem's input (attributevalue
// and the expression builder), on 1,000-record batches, with a client that
// sends nothing:
// ns/record is the wall-clock time, cpu-ns/record the process's CPU time
// (the collector's included, wherever it ran).
func BenchmarkBatchNoopStore(b *testing.B) {
	benchBatch(b, &dynamo.Store{API: noopAPI{}, MoviesTable: "m", ErrorsTable: "e"})
}

// benchBatch handles 1,000-record batches of distinct films into s.
func benchBatch(b *testing.B, s *dynamo.Store) {
	ev := event(1, catalogueBatch(b, 1000)...)
	h, _ := newHandler(s)
	h.Metrics = nil
	b.ReportAllocs()
	cpu := cpuTime(b)
	for b.Loop() {
		resp, _ := h.Handle(context.Background(), ev)
		if len(resp.BatchItemFailures) != 0 {
			b.Fatal("failures")
		}
	}
	cpu = cpuTime(b) - cpu
	records := float64(b.N * len(ev.Records))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(cpu.Nanoseconds())/records, "cpu-ns/record")
	b.ReportMetric(float64(testing.AllocsPerRun(1, func() { _, _ = h.Handle(context.Background(), ev) }))/float64(len(ev.Records)), "allocs/record")
}

// BenchmarkBatchSDK is BatchNoopStore with the real DynamoDB client: each
// PutItem is serialised, signed and sent over HTTP to a local server that
// answers at once. Its cpu-ns/record is what a record costs the deployed
// function's CPU share, the server's part of the process included (an
// overestimate).
func BenchmarkBatchSDK(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), BaseEndpoint: aws.String(srv.URL)}
	benchBatch(b, &dynamo.Store{API: dynamodb.NewFromConfig(cfg), MoviesTable: "m", ErrorsTable: "e"})
}

// BenchmarkBatchDynalite is records per second into dynalite, 1,000-record
// batches of distinct movies on fresh tables.
func BenchmarkBatchDynalite(b *testing.B) {
	datas := catalogueBatch(b, 1000)
	store, _ := dynamoStore(b, nil)
	h, _ := newHandler(store)
	h.Concurrency = 16
	records := 0
	for i := 0; b.Loop(); i++ {
		// Later sequence numbers each round, so every record is a real write.
		ev := event(1+i*1000, datas...)
		resp, _ := h.Handle(context.Background(), ev)
		if len(resp.BatchItemFailures) != 0 {
			b.Fatalf("%d failures", len(resp.BatchItemFailures))
		}
		records += len(ev.Records)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkPeakHeap10k reports the heap's high-water mark while one
// 10,000-record batch is processed.
func BenchmarkPeakHeap10k(b *testing.B) {
	ev := event(1, catalogueBatch(b, 10000)...)
	h, _ := newHandler(&dynamo.Store{API: noopAPI{}, MoviesTable: "m", ErrorsTable: "e"})
	var peak uint64
	for b.Loop() {
		runtime.GC()
		stop := make(chan struct{})
		done := make(chan uint64)
		go func() {
			s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			var max uint64
			for {
				metrics.Read(s)
				max = maxU(max, s[0].Value.Uint64())
				select {
				case <-stop:
					done <- max
					return
				case <-time.After(time.Millisecond):
				}
			}
		}()
		_, _ = h.Handle(context.Background(), ev)
		close(stop)
		peak = maxU(peak, <-done)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// cpuTime is the CPU time the process has used, in user and system mode.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
