package scraper

import (
	"context"
	"log/slog"
	"strings"

	"github.com/moviepipe/moviepipe/scraper/publish"
)

// logAttrs are the log attributes of a record of this provenance: its run,
// movie and trace ids ("" when unknown). The trace id is the one its trace
// header carries, which the processor's line of the same record carries too.
func (p Provenance) logAttrs(movieID string) []slog.Attr {
	return []slog.Attr{slog.String("runId", p.RunID), slog.String("movieId", movieID), slog.String("traceId", traceID(p.TraceHeader))}
}

// logPublished logs "record published" at DEBUG for each entry Kinesis took:
// those not among the failures.
func (s *Scraper) logPublished(ctx context.Context, p Provenance, entries []publish.Entry, failed []publish.Failure) {
	log := s.log()
	if !log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	unpublished := map[string]int{}
	for _, f := range failed {
		unpublished[f.Key]++
	}
	for _, e := range entries {
		if unpublished[e.Key] > 0 {
			unpublished[e.Key]--
			continue
		}
		log.LogAttrs(ctx, slog.LevelDebug, "record published", p.logAttrs(e.Key)...)
	}
}

// traceID is the trace id of an X-Ray trace header ("Root=1-…;Parent=…;
// Sampled=1" gives "1-…"), or "".
func traceID(header string) string {
	for field := range strings.SplitSeq(header, ";") {
		if id, ok := strings.CutPrefix(strings.TrimSpace(field), "Root="); ok {
			return id
		}
	}
	return ""
}
