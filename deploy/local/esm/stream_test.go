package esm_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// The stream as a whole: resharding, concurrent batches per shard, a
// disabled mapping, and Lambda's payload limit.

// keyOrder fails unless each partition key's records were processed in the
// order they were put.
func (r *rig) keyOrder(processed []int) {
	r.t.Helper()
	last := map[string]int{}
	for _, i := range processed {
		if prev, ok := last[r.keys[i]]; ok && i < prev {
			r.t.Errorf("key %s: record %d processed after record %d; processed %v", r.keys[i], i, prev, processed)
		}
		last[r.keys[i]] = i
	}
}

// After UpdateShardCount the mapping lists the children, reads the closed
// parent to its end and is done with it (here, past a record that fails
// until released) before either child starts, and each partition key's
// records stay in order across the reshard.
func TestReshardReadsParentsToTheEndFirst(t *testing.T) {
	r := newRig(t)
	keys := []string{"a", "b", "c", "d", "e", "f"}
	for i, k := range keys {
		data := `{}`
		if i == 1 {
			data = `{"fail":"item","until":"release"}`
		}
		r.putKey(k, []byte(data))
	}
	stop, m := r.run(func(c *esm.Config) { c.BatchSize = 3 })
	defer stop()
	r.until("the parent's batch retried", func() bool { return len(r.invocations()) >= 2 })
	if _, err := r.client.UpdateShardCount(t.Context(), &kinesis.UpdateShardCountInput{StreamName: &r.stream,
		TargetShardCount: aws.Int32(2), ScalingType: types.ScalingTypeUniformScaling}); err != nil {
		t.Fatal(err)
	}
	r.waitActive()
	for range 2 {
		for _, k := range keys {
			r.putKey(k, []byte(`{}`))
		}
	}
	r.until("the children listed, waiting", func() bool {
		waiting := 0
		for _, s := range m.State() {
			if s.Waiting {
				waiting++
			}
		}
		return waiting == 2
	})
	n := len(r.invocations())
	r.until("two more retries of the parent", func() bool { return len(r.invocations()) >= n+2 })
	if err := os.WriteFile(filepath.Join(r.state, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r.until("every record processed", func() bool { return len(r.processed()) >= len(r.sent) })
	got := r.processed()
	r.onceEach(got)
	r.keyOrder(got)
	r.parentFirst("shardId-000000000000:")
	if !m.State()["shardId-000000000000"].Ended {
		t.Errorf("the parent is not marked ended: %+v", m.State())
	}
}

// parentFirst fails unless every invocation of the other shards started
// after the last invocation of the parent (its eventIDs start with prefix)
// ended.
func (r *rig) parentFirst(prefix string) {
	r.t.Helper()
	parent := map[string]bool{}
	lastParentEnd, firstChildStart := -1, -1
	for i, l := range r.log() {
		switch {
		case l.Event == "start" && strings.HasPrefix(l.IDs[0], prefix):
			parent[l.Req] = true
		case l.Event == "start" && firstChildStart < 0:
			firstChildStart = i
		case l.Event == "end" && parent[l.Req]:
			lastParentEnd = i
		}
	}
	if firstChildStart < 0 || firstChildStart < lastParentEnd {
		r.t.Errorf("a child's first invocation started at line %d, the parent's last ended at line %d", firstChildStart, lastParentEnd)
	}
}

// maxInFlight is the most invocations in flight at once, by the log.
func (r *rig) maxInFlight() int {
	open, most := map[string]bool{}, 0
	for _, l := range r.log() {
		if l.Event == "start" {
			open[l.Req] = true
		} else {
			delete(open, l.Req)
		}
		most = max(most, len(open))
	}
	return most
}

// With ParallelizationFactor 2 one shard has two batches in flight at once,
// never more (the function could run four), and each partition key's
// records are processed once, in the order put: "Lambda still ensures
// in-order processing at the partition-key level".
func TestParallelizationFactorKeepsOrderPerKey(t *testing.T) {
	r := newRig(t)
	for i := range 40 {
		r.putKey(fmt.Sprintf("key-%d", i%8), []byte(`{"meet":2}`)) // each invocation waits for a second one
	}
	stop, m := r.runWith(options{envs: 4}, func(c *esm.Config) { c.ParallelizationFactor = 2; c.BatchSize = 4 })
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	got := r.processed()
	r.onceEach(got)
	r.keyOrder(got)
	if n := r.maxInFlight(); n != 2 {
		t.Errorf("%d batches of the shard in flight at most, want 2", n)
	}
}

// countingKinesis counts the calls a mapping makes.
type countingKinesis struct {
	esm.KinesisAPI
	n atomic.Int64
}

func (c *countingKinesis) ListShards(ctx context.Context, in *kinesis.ListShardsInput, o ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error) {
	c.n.Add(1)
	return c.KinesisAPI.ListShards(ctx, in, o...)
}

func (c *countingKinesis) GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, o ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error) {
	c.n.Add(1)
	return c.KinesisAPI.GetShardIterator(ctx, in, o...)
}

func (c *countingKinesis) GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, o ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	c.n.Add(1)
	return c.KinesisAPI.GetRecords(ctx, in, o...)
}

// A disabled mapping (Enabled: false) exists and does not poll: no call to
// Kinesis and no invocation, while an enabled mapping of the same stream,
// started after it, reads and delivers the record.
func TestDisabledMappingDoesNotPoll(t *testing.T) {
	r := newRig(t)
	r.put(`{}`)
	calls := &countingKinesis{KinesisAPI: r.client}
	stopOff, off := r.runWith(options{client: calls}, func(c *esm.Config) { c.Disabled = true })
	defer stopOff()
	stopOn, on := r.run(nil)
	defer stopOn()
	r.until("the enabled mapping's checkpoint", r.checkpointed(on))
	if n := calls.n.Load(); n != 0 || len(off.State()) != 0 || off.Enabled() {
		t.Errorf("the disabled mapping made %d Kinesis calls, has state %v, enabled %v", n, off.State(), off.Enabled())
	}
	if got := r.invocations(); len(got) != 1 {
		t.Errorf("batches %v, want the enabled mapping's one", got)
	}
}

// Batches are cut at Lambda's 6 MB payload (6,291,456 bytes) though the
// batch size allows 100 records: five records that fill an event to within
// 2 KB of it go together, the sixth, which would cross it, goes next.
func TestBatchesCutAtTheInvocationPayloadLimit(t *testing.T) {
	r := newRig(t)
	for _, n := range recordSizes(r) {
		r.putKey("k", []byte(strings.Repeat("x", n)))
	}
	stop, m := r.run(nil)
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	if got := r.invocations(); fmt.Sprint(got) != fmt.Sprint([][]int{span(0, 5), {5}}) {
		t.Fatalf("batches %v, want [0..4] and [5]", got)
	}
	if sizes := r.eventSizes(); sizes[0] > lambda.MaxSyncPayload || sizes[0] < lambda.MaxSyncPayload-4096 {
		t.Errorf("the first event is %d bytes, want just under %d", sizes[0], lambda.MaxSyncPayload)
	}
}

// recordSizes returns six data sizes: five whose event is 2 KB under the
// limit, by aws-lambda-go's rendering of a record of this stream, and a
// sixth of 4 KB.
func recordSizes(r *rig) []int {
	env, _ := json.Marshal(events.KinesisEventRecord{AwsRegion: region, EventID: "shardId-000000000000:" + strings.Repeat("9", 56),
		EventName: "aws:kinesis:record", EventSource: "aws:kinesis", EventSourceArn: r.arn(), EventVersion: "1.0", InvokeIdentityArn: roleARN,
		Kinesis: events.KinesisRecord{ApproximateArrivalTimestamp: events.SecondsEpochTime{}, Data: []byte{}, PartitionKey: "k",
			SequenceNumber: strings.Repeat("9", 56), KinesisSchemaVersion: "1.0"}})
	sizes := []int{1_000_000, 1_000_000, 1_000_000, 1_000_000}
	used := len(`{"Records":[]}`) + 4 + 5*(len(env)+10) + 4*base64.StdEncoding.EncodedLen(1_000_000) // 10: a real timestamp is longer than 0
	fifth := (lambda.MaxSyncPayload - 2048 - used) / 4 * 3
	return append(sizes, fifth, 4096)
}

// eventSizes returns the size of each event the function received.
func (r *rig) eventSizes() []int {
	f, err := os.Open(filepath.Join(r.state, "events.jsonl"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	var out []int
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		out = append(out, len(sc.Bytes()))
	}
	return slices.Clip(out)
}
