package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/ops"
)

// A message that stays (a write failed, so nothing of it counts as parked
// or lost) is kept, not LOST, and the command exits with errKept; records
// are lost, printed LOST and counted, only when their message was deleted
// or, on a dry run, would be.
func TestReportCountsLostOnlyWhenTheMessageGoes(t *testing.T) {
	b := &ops.BatchInfo{ShardID: "shardId-000000000000", StartSequenceNumber: "1", EndSequenceNumber: "9", BatchSize: 5}
	for name, c := range map[string]struct {
		outcomes []ops.BatchOutcome
		dry      bool
		want     error
		lines    []string
	}{
		"a write failed": {outcomes: []ops.BatchOutcome{{MessageID: "m1", Batch: b, Why: "park process#…: AccessDeniedException: left in the queue"}},
			want: errKept, lines: []string{"kept     shardId-000000000000 1…9", "1 batches: 0 drained, 1 kept; 0 records parked, 0 lost"}},
		"parked, delete failed": {outcomes: []ops.BatchOutcome{{MessageID: "m1", Batch: b, Parked: 2, Lost: 3, Why: "every record is parked but the message stays"}},
			want: errKept, lines: []string{"kept     shardId", "1 batches: 0 drained, 1 kept; 2 records parked, 0 lost"}},
		"deleted with records lost": {outcomes: []ops.BatchOutcome{{MessageID: "m1", Batch: b, Parked: 2, Lost: 3, Deleted: true}, {MessageID: "m2", Why: "not a Kinesis on-failure record"}},
			want: errLost, lines: []string{"LOST     shardId", "kept     m2", "2 batches: 1 drained, 1 kept; 2 records parked, 3 lost"}},
		"a dry run that would lose records": {outcomes: []ops.BatchOutcome{{MessageID: "m1", Batch: b, Parked: 2, Lost: 3, Ready: true}}, dry: true,
			want: errLost, lines: []string{"LOST     shardId", "1 batches: 1 would be drained, 0 kept; 2 records found, 3 lost"}},
		"all drained": {outcomes: []ops.BatchOutcome{{MessageID: "m1", Batch: b, Parked: 5, Deleted: true}},
			lines: []string{"drained  shardId", "1 batches: 1 drained, 0 kept; 5 records parked, 0 lost"}},
	} {
		var out strings.Builder
		if err := report(c.outcomes, c.dry, &out); !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
		for _, l := range c.lines {
			if !strings.Contains(out.String(), l) {
				t.Errorf("%s: no %q in\n%s", name, l, out.String())
			}
		}
	}
}
