package processor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/internal/memstore"
)

// withRequestID adds the invocation's request id as lambdacontext's handler
// does, from the context the line is logged with.
type withRequestID struct{ slog.Handler }

func (h withRequestID) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

// Each record's outcome is one JSON line carrying its runId, movieId,
// traceId (the Root of its trace header) and sequenceNumber, and the
// invocation's requestId: stored and stale at DEBUG, parked with its reason
// and retried with the error at WARN.
func TestEachRecordLogsItsIDs(t *testing.T) {
	s := memstore.New()
	s.FailPut = func(m processor.Movie) error {
		if m.ID == "tt0000003" {
			return errThrottled
		}
		return nil
	}
	var buf bytes.Buffer
	h, _ := newHandler(s)
	h.Log = slog.New(withRequestID{slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: lambdacontext.ReplaceAttr})})
	ev := event(1, record("tt0000001", "a", scraped), record("tt0000001", "a", scraped.Add(-time.Hour)), []byte(`{"id":"tt0000002","runId":"run-2"}`),
		record("tt0000003", "c", scraped))
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	if _, err := h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	const trace = "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e"
	want := map[string]map[string]string{
		ev.Records[0].Kinesis.SequenceNumber: {"message": "record stored", "level": "DEBUG", "movieId": "tt0000001", "runId": "run-1", "traceId": trace},
		ev.Records[1].Kinesis.SequenceNumber: {"message": "record stale", "level": "DEBUG", "movieId": "tt0000001", "runId": "run-1", "traceId": trace},
		ev.Records[2].Kinesis.SequenceNumber: {"message": "record parked", "level": "WARN", "movieId": "tt0000002", "runId": "run-2", "traceId": "",
			"reason": string(processor.ReasonInvalid)},
		ev.Records[3].Kinesis.SequenceNumber: {"message": "record retried", "level": "WARN", "movieId": "tt0000003", "runId": "run-1", "traceId": trace,
			"error": errThrottled.Error()},
	}
	for line := range strings.Lines(buf.String()) {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if got["requestId"] != "req-1" {
			t.Errorf("no request id: %s", line)
		}
		seq, _ := got["sequenceNumber"].(string)
		w, ok := want[seq]
		if !ok {
			continue // the batch's own line
		}
		delete(want, seq)
		for k, v := range w {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %q", w["message"], k, got[k], v)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no line for %v in\n%s", want, buf.String())
	}
}

func TestTraceID(t *testing.T) {
	for header, want := range map[string]string{
		"Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1": "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e",
		"Sampled=0; Root=1-2-3":   "1-2-3",
		"":                        "",
		"Parent=53995c3f42cd8ad8": "",
	} {
		if got := processor.TraceID(header); got != want {
			t.Errorf("TraceID(%q) = %q, want %q", header, got, want)
		}
	}
}
