package processor

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/moviepipe/moviepipe/contracts"
)

// errParkFailed is why a record that could not be parked is retried when
// the store named no error.
var errParkFailed = errors.New("the error table did not take the entry")

// logOutcomes logs each record's outcome, one line a record: "record stored"
// and "record stale" at DEBUG, "record parked" (with its reason and detail)
// and "record retried" (with the error, when there was one) at WARN. Each
// line carries what finds the record again: runId, movieId, traceId and its
// sequenceNumber; the logger adds the invocation's requestId.
func (h *Handler) logOutcomes(ctx context.Context, items []item) {
	log := h.log()
	for i := range items {
		it := &items[i]
		level, msg := slog.LevelDebug, "record "+string(it.outcome)
		attrs := recordAttrs(it)
		switch it.outcome {
		case Park:
			level = slog.LevelWarn
			attrs = append(attrs, slog.String("reason", string(it.parked.Reason)), slog.String("detail", contracts.Clip(it.parked.Message, 300)))
		case Retry:
			level, msg = slog.LevelWarn, "record retried"
			if it.err != nil {
				attrs = append(attrs, slog.String("error", it.err.Error()))
			}
		}
		if log.Enabled(ctx, level) {
			log.LogAttrs(ctx, level, msg, attrs...)
		}
	}
}

// recordAttrs are a record's log attributes: its run, movie and trace ids
// (from the record, or what an unreadable one says of itself; "" when
// unknown) and its sequence number.
func recordAttrs(it *item) []slog.Attr {
	run, movie, header := it.movie.RunID, it.movie.ID, it.movie.TraceHeader
	if it.parked != nil {
		run, movie, header = it.parked.RunID, it.parked.MovieID, it.parked.TraceHeader
	}
	return []slog.Attr{slog.String("runId", run), slog.String("movieId", movie), slog.String("traceId", TraceID(header)),
		slog.String("sequenceNumber", it.rec.Kinesis.SequenceNumber)}
}

// TraceID is the trace id of an X-Ray trace header
// ("Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=…;Sampled=1" gives
// "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e"), or "" when it has none: the trace
// the record's segment continues.
func TraceID(header string) string {
	for field := range strings.SplitSeq(header, ";") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(field), "Root="); ok {
			return id
		}
	}
	return ""
}
