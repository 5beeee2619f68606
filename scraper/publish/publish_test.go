package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func entries(n, size int) []Entry {
	out := make([]Entry, n)
	for i := range out {
		out[i] = Entry{Key: fmt.Sprintf("tt%07d", i), Data: bytes.Repeat([]byte{'x'}, size)}
	}
	return out
}

func TestChunks(t *testing.T) {
	tests := []struct {
		name  string
		in    []Entry
		sizes []int
	}{
		{"by count", entries(1201, 100), []int{500, 500, 201}},
		{"by bytes", entries(12, 900<<10), []int{5, 5, 2}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, c := range Chunks(tt.in) {
				got = append(got, len(c))
				size := 0
				for _, e := range c {
					size += len(e.Data) + len(e.Key)
				}
				if len(c) > MaxRecords || size > MaxBatchBytes {
					t.Fatalf("chunk of %d records, %d bytes", len(c), size)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.sizes) {
				t.Fatalf("chunk sizes %v, want %v", got, tt.sizes)
			}
		})
	}
}

// flaky is a PutRecords fake: fail(key, attempt) decides each entry's fate;
// callErr fails whole calls while it returns an error.
type flaky struct {
	mu       sync.Mutex
	attempts map[string]int
	stored   map[string]int
	fail     func(key string, attempt int) bool
	calls    int
	callErr  func(call int) error
}

func (f *flaky) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.callErr != nil {
		if err := f.callErr(f.calls); err != nil {
			return nil, err
		}
	}
	out := &kinesis.PutRecordsOutput{}
	for _, r := range in.Records {
		k := aws.ToString(r.PartitionKey)
		f.attempts[k]++
		if f.fail != nil && f.fail(k, f.attempts[k]) {
			out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
			out.Records = append(out.Records, types.PutRecordsResultEntry{
				ErrorCode: aws.String("ProvisionedThroughputExceededException"), ErrorMessage: aws.String("Rate exceeded for shard shardId-000000000000"),
			})
			continue
		}
		f.stored[k]++
		out.Records = append(out.Records, types.PutRecordsResultEntry{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")})
	}
	return out, nil
}

func newFlaky() *flaky { return &flaky{attempts: map[string]int{}, stored: map[string]int{}} }

func publisher(api API) (*Publisher, *[]time.Duration) {
	var mu sync.Mutex
	var waits []time.Duration
	return &Publisher{API: api, Stream: "s", Attempts: 5, sleep: func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	}}, &waits
}

func TestPartialFailuresRetryExactlyTheFailed(t *testing.T) {
	f := newFlaky()
	// One entry in five fails twice before it passes.
	f.fail = func(key string, attempt int) bool { return key[len(key)-1]%5 == 0 && attempt <= 2 }
	p, waits := publisher(f)
	in := entries(1200, 50)
	n, failed := p.Publish(t.Context(), in)
	if n != len(in) || len(failed) != 0 {
		t.Fatalf("published %d, failed %d", n, len(failed))
	}
	for _, e := range in {
		if f.stored[e.Key] != 1 {
			t.Fatalf("%s stored %d times", e.Key, f.stored[e.Key])
		}
	}
	if len(*waits) != 6 { // 3 chunks × 2 retries
		t.Fatalf("waited %d times, want 6", len(*waits))
	}
}

func TestPersistentFailureIsReported(t *testing.T) {
	f := newFlaky()
	f.fail = func(key string, _ int) bool { return key == "tt0000007" }
	p, _ := publisher(f)
	n, failed := p.Publish(t.Context(), entries(10, 10))
	if n != 9 || len(failed) != 1 || failed[0].Key != "tt0000007" || f.attempts["tt0000007"] != 5 {
		t.Fatalf("published %d, failed %+v, attempts %d", n, failed, f.attempts["tt0000007"])
	}
	if failed[0].Reason == "" {
		t.Fatal("failure without a reason")
	}
}

func TestWholeCallFailureIsRetried(t *testing.T) {
	f := newFlaky()
	f.callErr = func(call int) error {
		if call <= 2 {
			return errors.New("ProvisionedThroughputExceededException")
		}
		return nil
	}
	p, _ := publisher(f)
	if n, failed := p.Publish(t.Context(), entries(3, 10)); n != 3 || len(failed) != 0 {
		t.Fatalf("published %d, failed %v", n, failed)
	}
}

func TestOversizedRecordFailsAtOnce(t *testing.T) {
	f := newFlaky()
	p, _ := publisher(f)
	in := append(entries(2, 10), Entry{Key: "big", Data: make([]byte, MaxRecordSize)})
	n, failed := p.Publish(t.Context(), in)
	if n != 2 || len(failed) != 1 || failed[0].Key != "big" || f.attempts["big"] != 0 {
		t.Fatalf("published %d, failed %v", n, failed)
	}
}

func TestCancelledContextReportsTheRest(t *testing.T) {
	f := newFlaky()
	f.fail = func(string, int) bool { return true }
	ctx, cancel := context.WithCancel(t.Context())
	p := &Publisher{API: f, Stream: "s", sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }}
	n, failed := p.Publish(ctx, entries(4, 10))
	if n != 0 || len(failed) != 4 {
		t.Fatalf("published %d, failed %d", n, len(failed))
	}
}

// injector sits in front of the real emulator and fails a share of the
// entries of each call the way Kinesis does, without sending them.
type injector struct {
	next  API
	every int // fail entries at these positions on the first call that sees them
	mu    sync.Mutex
	seen  map[string]bool
}

func (j *injector) PutRecords(ctx context.Context, in *kinesis.PutRecordsInput, opts ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var send []types.PutRecordsRequestEntry
	var pos []int
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i, r := range in.Records {
		k := aws.ToString(r.PartitionKey)
		if i%j.every == 0 && !j.seen[k] {
			j.seen[k] = true
			out.Records[i] = types.PutRecordsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("Internal service failure.")}
			out.FailedRecordCount = aws.Int32(aws.ToInt32(out.FailedRecordCount) + 1)
			continue
		}
		send = append(send, r)
		pos = append(pos, i)
	}
	if len(send) > 0 {
		real, err := j.next.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: in.StreamName, Records: send}, opts...)
		if err != nil {
			return nil, err
		}
		for k, r := range real.Records {
			out.Records[pos[k]] = r
		}
	}
	return out, nil
}

// Against kinesis-local, with a fifth of the entries failing on their first
// try: every record is on the stream exactly once.
func TestPublishToEmulatorExactlyOnce(t *testing.T) {
	if os.Getenv("AWS_ENDPOINT_URL_KINESIS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AWS_ENDPOINT_URL_KINESIS is not set: run make test, which starts kinesis-local")
		}
		t.Skip("AWS_ENDPOINT_URL_KINESIS is not set: run make test, which starts kinesis-local")
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := kinesis.NewFromConfig(cfg)
	stream := fmt.Sprintf("publish-%d", time.Now().UnixNano())
	if _, err := c.CreateStream(t.Context(), &kinesis.CreateStreamInput{StreamName: &stream, ShardCount: aws.Int32(2)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: &stream}) })
	if err := kinesis.NewStreamExistsWaiter(c, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(t.Context(), &kinesis.DescribeStreamInput{StreamName: &stream}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	p := &Publisher{API: &injector{next: c, every: 5, seen: map[string]bool{}}, Stream: stream, Backoff: 10 * time.Millisecond}
	in := entries(700, 200)
	if n, failed := p.Publish(t.Context(), in); n != len(in) || len(failed) != 0 {
		t.Fatalf("published %d, failed %v", n, failed)
	}
	got := map[string]int{}
	shards, err := c.ListShards(t.Context(), &kinesis.ListShardsInput{StreamName: &stream})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range shards.Shards {
		it, err := c.GetShardIterator(t.Context(), &kinesis.GetShardIteratorInput{StreamName: &stream, ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := c.GetRecords(t.Context(), &kinesis.GetRecordsInput{ShardIterator: iter})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				got[aws.ToString(r.PartitionKey)]++
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	for _, e := range in {
		if got[e.Key] != 1 {
			t.Fatalf("%s is on the stream %d times", e.Key, got[e.Key])
		}
	}
}
