package processor_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/contracts/examples"
	"github.com/moviepipe/moviepipe/processor"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// noTracer opens no segments.
type noTracer struct{}

func (noTracer) Record(ctx context.Context, _, _, _ string) (context.Context, func(error)) {
	return ctx, func(error) {}
}

// arrival is when the test batches reached the stream: a day after the
// scrape times the tests use (scraped, and 2026-11-26 09:00 plus an hour or
// so), so that none of them is ahead of its arrival.
var (
	arrival = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	scraped = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
)

// event builds a batch from one shard with increasing sequence numbers,
// starting after first.
func event(first int, datas ...[]byte) events.KinesisEvent {
	var ev events.KinesisEvent
	for i, d := range datas {
		seq := fmt.Sprintf("49650000000000000000000000000000000000000000%012d", first+i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{
			AwsRegion: "us-east-1", EventID: "shardId-000000000000:" + seq, EventName: "aws:kinesis:record",
			EventSource: "aws:kinesis", EventVersion: "1.0",
			EventSourceArn: "arn:aws:kinesis:us-east-1:000000000000:stream/moviepipe-test",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: arrival.Add(time.Duration(i) * time.Millisecond)},
				Data:                        d, PartitionKey: "pk", SequenceNumber: seq, KinesisSchemaVersion: "1.0",
			},
		})
	}
	return ev
}

// golden returns the contracts' golden examples of dir ("valid" or
// "invalid"), in name order.
func golden(t testing.TB, dir string) (names []string, datas [][]byte) {
	t.Helper()
	list := examples.Valid()
	if dir == "invalid" {
		list = examples.Invalid()
	}
	for _, e := range list {
		names, datas = append(names, e.Name), append(datas, e.Data)
	}
	return names, datas
}

// record builds a valid movie-record.v1 for id, scraped at the given time.
func record(id, title string, scraped time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"schema": "movie-record.v1", "id": id, "title": title, "year": 1994,
		"sourceUrl": "https://example.com/movies", "scrapedAt": scraped.Format(time.RFC3339Nano), "runId": "run-1",
		"traceHeader": "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1",
	})
	return b
}

func failures(resp events.KinesisEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func newHandler(s processor.Store) (*processor.Handler, *[]processor.Report) {
	var reports []processor.Report
	return &processor.Handler{
		Store: s, Tracer: noTracer{}, Log: slog.New(slog.DiscardHandler), MaxRecordBytes: 64 << 10, Concurrency: 8, MaxClockSkew: 5 * time.Minute,
		ErrorTTL: 24 * time.Hour, Margin: 100 * time.Millisecond,
		Metrics: func(r processor.Report) { reports = append(reports, r) },
	}, &reports
}
