package esm_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/internal/fnbuild"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

var bootstrap string

func TestMain(m *testing.M) { fnbuild.Main(m, "./testdata/streamfn", &bootstrap) }

// rig is one mapping on a fresh one-shard stream of the emulator.
type rig struct {
	t      *testing.T
	client *kinesis.Client
	stream string
	state  string
	sent   []string // sequence numbers, in order
	mu     sync.Mutex
	dest   []map[string]any
}

func newRig(t *testing.T) *rig {
	t.Helper()
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
	r := &rig{t: t, client: kinesis.NewFromConfig(cfg), stream: fmt.Sprintf("esm-%d", time.Now().UnixNano()), state: t.TempDir()}
	if _, err := r.client.CreateStream(t.Context(), &kinesis.CreateStreamInput{StreamName: &r.stream, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = r.client.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: &r.stream})
	})
	if err := kinesis.NewStreamExistsWaiter(r.client, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(t.Context(), &kinesis.DescribeStreamInput{StreamName: &r.stream}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return r
}

// put adds records in order (one partition key, so one shard and one order).
func (r *rig) put(datas ...string) {
	r.t.Helper()
	for _, d := range datas {
		out, err := r.client.PutRecord(r.t.Context(), &kinesis.PutRecordInput{StreamName: &r.stream, Data: []byte(d), PartitionKey: aws.String("k")})
		if err != nil {
			r.t.Fatal(err)
		}
		r.sent = append(r.sent, aws.ToString(out.SequenceNumber))
	}
}

func (r *rig) run(mod func(*esm.Config)) (stop func(), m *esm.Mapping) {
	r.t.Helper()
	host := lambda.NewHost(lambda.Config{Name: "streamfn", ARN: "arn:aws:lambda:us-east-1:000000000000:function:streamfn", Binary: bootstrap,
		Env: map[string]string{"STATE_DIR": r.state}, Timeout: 2 * time.Second, MemoryMB: 128, MaxEnvs: 1, Region: "us-east-1"})
	cfg := esm.Config{StreamARN: "arn:aws:kinesis:us-east-1:000000000000:stream/" + r.stream, StreamName: r.stream, BatchSize: 100,
		StartingPosition: "TRIM_HORIZON", ReportBatchItemFailures: true, MaximumRetryAttempts: -1, MaximumRecordAge: -1,
		PollInterval: 50 * time.Millisecond, Region: "us-east-1",
		OnFailure: func(_ context.Context, msg []byte) error {
			var v map[string]any
			_ = json.Unmarshal(msg, &v)
			r.mu.Lock()
			r.dest = append(r.dest, v)
			r.mu.Unlock()
			return nil
		}}
	if mod != nil {
		mod(&cfg)
	}
	m = esm.New(cfg, r.client, host, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	return func() { cancel(); <-done; host.Close() }, m
}

// invocations returns the batches the function saw, as indexes into sent.
func (r *rig) invocations() [][]int {
	f, err := os.Open(filepath.Join(r.state, "invocations.jsonl"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var inv struct{ Seqs []string }
		_ = json.Unmarshal(sc.Bytes(), &inv)
		var idx []int
		for _, s := range inv.Seqs {
			idx = append(idx, slices.Index(r.sent, s))
		}
		out = append(out, idx)
	}
	return out
}

// until waits for a condition on the mapping's progress.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s; invocations %v; destination %v", what, r.invocations(), r.dest)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *rig) checkpointed(m *esm.Mapping) func() bool {
	return func() bool {
		for _, s := range m.State() {
			return s.Checkpoint == r.sent[len(r.sent)-1]
		}
		return false
	}
}

func span(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

func TestPartialBatchCheckpointsAtTheLowestFailure(t *testing.T) {
	r := newRig(t)
	r.put(`{}`, `{}`, `{}`, `{"fail":"item","times":1}`, `{}`, `{"fail":"item","times":1}`, `{}`)
	stop, m := r.run(nil)
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	want := [][]int{span(0, 7), span(3, 7)}
	if got := r.invocations(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("batches %v, want %v", got, want)
	}
}

func TestMalformedResponsesFailTheWholeBatch(t *testing.T) {
	for _, kind := range []string{"empty", "null", "unknown", "notjson"} {
		t.Run(kind, func(t *testing.T) {
			r := newRig(t)
			r.put(`{}`, `{}`, `{"fail":"malformed","kind":"`+kind+`","times":1}`, `{}`)
			stop, m := r.run(nil)
			defer stop()
			r.until("the checkpoint at the end", r.checkpointed(m))
			want := [][]int{span(0, 4), span(0, 4)}
			if got := r.invocations(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("batches %v, want %v", got, want)
			}
		})
	}
}

func TestMaximumRetriesThenTheDestinationGetsTheBatchInfo(t *testing.T) {
	r := newRig(t)
	r.put(`{}`, `{"fail":"error"}`, `{}`)
	stop, m := r.run(func(c *esm.Config) { c.MaximumRetryAttempts = 2; c.ReportBatchItemFailures = false })
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	if got := r.invocations(); len(got) != 3 {
		t.Fatalf("batches %v, want the first try and 2 retries", got)
	}
	if len(r.dest) != 1 {
		t.Fatalf("destination got %d messages", len(r.dest))
	}
	msg := r.dest[0]
	ctx := msg["requestContext"].(map[string]any)
	info := msg["KinesisBatchInfo"].(map[string]any)
	if ctx["condition"] != "RetryAttemptsExhausted" || ctx["approximateInvokeCount"] != float64(3) ||
		info["batchSize"] != float64(3) || info["startSequenceNumber"] != r.sent[0] || info["endSequenceNumber"] != r.sent[2] {
		t.Fatalf("destination message %v", msg)
	}
	if b, _ := json.Marshal(msg); strings.Contains(string(b), `"Records"`) || strings.Contains(string(b), `"data"`) {
		t.Fatal("the destination got the records themselves")
	}
}

func TestBisectIsolatesTheFailingRecord(t *testing.T) {
	r := newRig(t)
	r.put(`{}`, `{}`, `{}`, `{}`, `{}`, `{"fail":"error"}`, `{}`, `{}`)
	stop, m := r.run(func(c *esm.Config) {
		c.ReportBatchItemFailures = false
		c.BisectBatchOnFunctionError = true
		c.MaximumRetryAttempts = 0
	})
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	if len(r.dest) != 1 {
		t.Fatalf("destination got %v", r.dest)
	}
	info := r.dest[0]["KinesisBatchInfo"].(map[string]any)
	if info["batchSize"] != float64(1) || info["startSequenceNumber"] != r.sent[5] {
		t.Fatalf("bisection did not isolate record 5: %v; batches %v", info, r.invocations())
	}
	// Every other record was delivered in a batch that succeeded.
	ok := map[int]bool{}
	for _, b := range r.invocations() {
		if !slices.Contains(b, 5) {
			for _, i := range b {
				ok[i] = true
			}
		}
	}
	for i := range 8 {
		if i != 5 && !ok[i] {
			t.Errorf("record %d never succeeded; batches %v", i, r.invocations())
		}
	}
}

func TestMaximumRecordAge(t *testing.T) {
	r := newRig(t)
	r.put(`{}`, `{}`)
	time.Sleep(1500 * time.Millisecond)
	stop, m := r.run(func(c *esm.Config) { c.MaximumRecordAge = time.Second })
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	if got := r.invocations(); len(got) != 0 {
		t.Fatalf("expired records delivered: %v", got)
	}
	if len(r.dest) != 1 || r.dest[0]["requestContext"].(map[string]any)["condition"] != "RecordAgeExceeded" {
		t.Fatalf("destination %v", r.dest)
	}
}

func TestBatchWindowGathersRecords(t *testing.T) {
	r := newRig(t)
	stop, m := r.run(func(c *esm.Config) { c.BatchWindow = 1500 * time.Millisecond })
	defer stop()
	time.Sleep(300 * time.Millisecond)
	for range 3 {
		r.put(`{}`)
		time.Sleep(150 * time.Millisecond)
	}
	r.until("the checkpoint at the end", r.checkpointed(m))
	if got := r.invocations(); fmt.Sprint(got) != fmt.Sprint([][]int{span(0, 3)}) {
		t.Fatalf("batches %v, want one batch of three", got)
	}
}

func TestStartingPositionLatest(t *testing.T) {
	r := newRig(t)
	r.put(`{"before":1}`)
	stop, m := r.run(func(c *esm.Config) { c.StartingPosition = "LATEST" })
	defer stop()
	time.Sleep(500 * time.Millisecond) // the iterator is taken at the tip
	r.put(`{"after":1}`)
	r.until("the checkpoint at the end", r.checkpointed(m))
	if got := r.invocations(); fmt.Sprint(got) != fmt.Sprint([][]int{{1}}) {
		t.Fatalf("batches %v, want only the record put after the start", got)
	}
}

func TestOrderPerShard(t *testing.T) {
	r := newRig(t)
	var datas []string
	for range 30 {
		datas = append(datas, `{}`)
	}
	r.put(datas...)
	stop, m := r.run(func(c *esm.Config) { c.BatchSize = 7 })
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	var seen []int
	for _, b := range r.invocations() {
		seen = append(seen, b...)
	}
	if fmt.Sprint(seen) != fmt.Sprint(span(0, 30)) {
		t.Fatalf("delivered %v", seen)
	}
}

func TestTimeoutAndCrashAreRetried(t *testing.T) {
	for _, fail := range []string{"sleep", "crash"} {
		t.Run(fail, func(t *testing.T) {
			r := newRig(t)
			r.put(`{}`, `{"fail":"`+fail+`","times":1}`)
			stop, m := r.run(nil)
			defer stop()
			r.until("the checkpoint at the end", r.checkpointed(m))
			got := r.invocations()
			if len(got) < 2 || fmt.Sprint(got[len(got)-1]) != fmt.Sprint(span(0, 2)) {
				t.Fatalf("batches %v: want the batch retried whole", got)
			}
		})
	}
}
