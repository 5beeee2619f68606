package processor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/processor"
)

// Two event source mappings on one stream (the live one and a replay from
// TRIM_HORIZON, docs/operations.md) deliver the same ids at the same time:
// one the old version, the other the new, in opposite orders so that their
// writes cross. Whatever lands last, the table ends with the newest version
// of every id, and every record is either stored or stale.
func TestDynamoConcurrentMappingsLeaveTheNewest(t *testing.T) {
	store, c := dynamoStore(t, nil)
	live, liveReports := newHandler(store)
	replay, replayReports := newHandler(store)
	const ids, rounds = 60, 25
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for round := range rounds {
		old, cur := t0.Add(time.Duration(2*round)*time.Minute), t0.Add(time.Duration(2*round+1)*time.Minute)
		// Each mapping holds the new version of half the ids and the old
		// version of the other half; the second mapping goes backwards.
		var a, b [][]byte
		for i := range ids {
			id := fmt.Sprintf("tt%07d", i+1)
			newer, older := record(id, fmt.Sprintf("new-%d", round), cur), record(id, fmt.Sprintf("old-%d", round), old)
			if i%2 == 0 {
				a, b = append(a, newer), append(b, older)
			} else {
				a, b = append(a, older), append(b, newer)
			}
		}
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		var wg sync.WaitGroup
		wg.Go(func() { handleAll(t, live, event(round*1000, a...)) })
		wg.Go(func() { handleAll(t, replay, event(round*1000+500, b...)) })
		wg.Wait()
		var stored, stale [2]int
		for k, r := range []processor.Report{(*liveReports)[round], (*replayReports)[round]} {
			stored[k], stale[k] = r.Stored, r.Stale
		}
		if got := stored[0] + stored[1] + stale[0] + stale[1]; got != 2*ids {
			t.Fatalf("round %d: %d stored + %d stale = %d outcomes; want %d", round, stored[0]+stored[1], stale[0]+stale[1], got, 2*ids)
		}
		if stored[0]+stored[1] < ids {
			t.Fatalf("round %d: %d stored; want at least the %d new versions", round, stored[0]+stored[1], ids)
		}
		for i := range ids {
			id := fmt.Sprintf("tt%07d", i+1)
			if title := storedTitle(t.Context(), t, c, store.MoviesTable, id); title != fmt.Sprintf("new-%d", round) {
				t.Fatalf("round %d: %s holds %q; want the newest version new-%d", round, id, title, round)
			}
		}
	}
}

// handleAll runs one batch, which must leave nothing to retry.
func handleAll(t *testing.T, h *processor.Handler, ev events.KinesisEvent) {
	resp, err := h.Handle(t.Context(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures %v, err %v", failures(resp), err)
	}
}

func storedTitle(ctx context.Context, t *testing.T, c *dynamodb.Client, table, id string) string {
	t.Helper()
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		t.Fatal(err)
	}
	title, _ := out.Item["title"].(*types.AttributeValueMemberS)
	if title == nil {
		return ""
	}
	return title.Value
}
