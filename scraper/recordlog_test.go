package scraper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

// refusingPublisher publishes every entry but one key's.
type refusingPublisher struct{ refuse string }

func (p refusingPublisher) Publish(_ context.Context, es []publish.Entry) (int, []publish.Failure) {
	var failed []publish.Failure
	for _, e := range es {
		if e.Key == p.refuse {
			failed = append(failed, publish.Failure{Entry: e, Reason: "ProvisionedThroughputExceededException"})
		}
	}
	return len(es) - len(failed), failed
}

// withRequestID adds the invocation's request id as lambdacontext's handler
// does, from the context the line is logged with.
type withRequestID struct{ slog.Handler }

func (h withRequestID) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

// Each record of a page is one JSON line carrying its runId, movieId and
// traceId (the Root of the trace header it was published with, which the
// processor's line carries too) and the invocation's requestId: published
// at DEBUG, rejected by the contract at WARN with its reason, refused by
// Kinesis at ERROR.
func TestEachRecordLogsItsIDs(t *testing.T) {
	site, _ := workshopSite(t, 1)
	s, _, _, _ := newScraper()
	s.Publisher = refusingPublisher{refuse: "tt0000011"}
	var buf bytes.Buffer
	s.Log = slog.New(withRequestID{slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: lambdacontext.ReplaceAttr})})
	ctx := lambdacontext.NewContext(t.Context(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	now := time.Now()
	s.Run(ctx, scraper.State{RunID: "run-1", Next: site.URL + "/movies?page=1", MaxPages: 1, Started: now}, now.Add(time.Hour))

	want := map[string]map[string]string{
		"tt0000010": {"message": "record published", "level": "DEBUG"},
		"tt0000011": {"message": "record not published", "level": "ERROR", "reason": "ProvisionedThroughputExceededException"},
		"tt0000012": {"message": "record rejected", "level": "WARN", "reason": "invalid_record"},
	}
	for line := range strings.Lines(buf.String()) {
		var got map[string]any
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("not JSON: %q", line)
		}
		if got["requestId"] != "req-1" || got["runId"] != "run-1" {
			t.Errorf("no request or run id: %s", line)
		}
		id, _ := got["movieId"].(string)
		w, ok := want[id]
		if !ok || got["message"] != w["message"] {
			continue
		}
		delete(want, id)
		w["traceId"] = "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e"
		for k, v := range w {
			if got[k] != v {
				t.Errorf("%s %s: %s = %v, want %q", w["message"], id, k, got[k], v)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("no line for %v in\n%s", want, buf.String())
	}
}
