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

	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/internal/fnbuild"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

var bootstrap string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

// testMain runs the tests against the kinesis-local that make test started
// (AWS_ENDPOINT_URL_KINESIS), or starts one itself: without an emulator
// the package fails, it never skips.
func testMain(m *testing.M) int {
	if os.Getenv("AWS_ENDPOINT_URL_KINESIS") == "" {
		emu, err := emulators.Start(context.Background(), emulators.Config{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "the event source mapping tests need kinesis-local (npm ci at the repository root):", err)
			return 1
		}
		defer func() {
			if err := emu.Stop(); err != nil {
				fmt.Fprintln(os.Stderr, "stop the emulators:", err)
			}
		}()
		for _, kv := range emu.Env() {
			k, v, _ := strings.Cut(kv, "=")
			os.Setenv(k, v)
		}
	}
	return fnbuild.Run(m, "./testdata/streamfn", &bootstrap)
}

const region = "us-east-1"

// rig is one mapping on a fresh one-shard stream of the emulator.
type rig struct {
	t      *testing.T
	client *kinesis.Client
	stream string
	state  string
	sent   []string // sequence numbers, in order
	keys   []string // their partition keys
	mu     sync.Mutex
	dest   []map[string]any
}

func newRig(t *testing.T) *rig {
	t.Helper()
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
	r.waitActive()
	return r
}

func (r *rig) waitActive() {
	r.t.Helper()
	if err := kinesis.NewStreamExistsWaiter(r.client, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(r.t.Context(), &kinesis.DescribeStreamInput{StreamName: &r.stream}, 30*time.Second); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) arn() string { return "arn:aws:kinesis:" + region + ":000000000000:stream/" + r.stream }

// put adds records in order (one partition key, so one shard and one order).
func (r *rig) put(datas ...string) {
	r.t.Helper()
	for _, d := range datas {
		r.putKey("k", []byte(d))
	}
}

func (r *rig) putKey(key string, data []byte) {
	r.t.Helper()
	out, err := r.client.PutRecord(r.t.Context(), &kinesis.PutRecordInput{StreamName: &r.stream, Data: data, PartitionKey: &key})
	if err != nil {
		r.t.Fatal(err)
	}
	r.sent, r.keys = append(r.sent, aws.ToString(out.SequenceNumber)), append(r.keys, key)
}

// options change what run starts.
type options struct {
	client esm.KinesisAPI                  // [the rig's]
	envs   int                             // the function's concurrency [1]
	zero   bool                            // the function's reserved concurrency is 0
	wrap   func(esm.Function) esm.Function // stands before the function [none]
}

func (r *rig) run(mod func(*esm.Config)) (stop func(), m *esm.Mapping) {
	return r.runWith(options{}, mod)
}

func (r *rig) runWith(o options, mod func(*esm.Config)) (stop func(), m *esm.Mapping) {
	r.t.Helper()
	if o.client == nil {
		o.client = r.client
	}
	hc := lambda.Config{Name: "streamfn", ARN: fnARN, Binary: bootstrap,
		Env: map[string]string{"STATE_DIR": r.state}, Timeout: 2 * time.Second, MemoryMB: 128, MaxEnvs: max(o.envs, 1), Region: region}
	if o.zero {
		hc.Reserved = new(int)
	}
	host := lambda.NewHost(hc)
	cfg := esm.Config{StreamARN: r.arn(), StreamName: r.stream, BatchSize: 100,
		StartingPosition: "TRIM_HORIZON", ReportBatchItemFailures: true, MaximumRetryAttempts: -1, MaximumRecordAge: -1,
		PollInterval: 50 * time.Millisecond, ShardRefresh: 200 * time.Millisecond, Region: region, InvokeIdentityARN: roleARN,
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
	var fn esm.Function = host
	if o.wrap != nil {
		fn = o.wrap(host)
	}
	m = esm.New(cfg, o.client, fn, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = m.Run(ctx); close(done) }()
	return func() { cancel(); <-done; host.Close() }, m
}

const (
	fnARN   = "arn:aws:lambda:us-east-1:000000000000:function:streamfn"
	roleARN = "arn:aws:iam::000000000000:role/streamfn-role"
)

// line is one line of the function's invocations.jsonl (see streamfn).
type line struct {
	Event  string
	Req    string
	Seqs   []string
	IDs    []string
	Keys   []string
	Failed []string
	Error  bool
}

func (r *rig) log() []line {
	f, err := os.Open(filepath.Join(r.state, "invocations.jsonl"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l line
		_ = json.Unmarshal(sc.Bytes(), &l)
		out = append(out, l)
	}
	return out
}

// invocations returns the batches the function saw, as indexes into sent.
func (r *rig) invocations() [][]int {
	var out [][]int
	for _, l := range r.log() {
		if l.Event == "start" {
			out = append(out, r.indexes(l.Seqs))
		}
	}
	return out
}

func (r *rig) indexes(seqs []string) []int {
	var idx []int
	for _, s := range seqs {
		idx = append(idx, slices.Index(r.sent, s))
	}
	return idx
}

// processed returns the records the function is done with, in the order it
// finished them: those of each invocation that ended without an error,
// before the first one it reported as failed.
func (r *rig) processed() []int {
	started := map[string][]string{}
	var out []int
	for _, l := range r.log() {
		if l.Event == "start" {
			started[l.Req] = l.Seqs
			continue
		}
		seqs := started[l.Req]
		if l.Error {
			continue
		}
		n := len(seqs)
		for _, f := range l.Failed {
			n = min(n, slices.Index(seqs, f))
		}
		out = append(out, r.indexes(seqs[:n])...)
	}
	return out
}

// until waits for a condition on the mapping's progress.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.mu.Lock()
			dest := r.dest
			r.mu.Unlock()
			r.t.Fatalf("timed out waiting for %s; invocations %v; destination %v", what, r.invocations(), dest)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkpointed says whether some shard's checkpoint is the last record put.
func (r *rig) checkpointed(m *esm.Mapping) func() bool {
	return func() bool {
		for _, s := range m.State() {
			if s.Checkpoint == r.sent[len(r.sent)-1] {
				return true
			}
		}
		return false
	}
}

func (r *rig) destinations() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.dest)
}

func span(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// onceEach fails unless every record put was processed exactly once.
func (r *rig) onceEach(processed []int) {
	r.t.Helper()
	seen := map[int]int{}
	for _, i := range processed {
		seen[i]++
	}
	for i := range r.sent {
		if seen[i] != 1 {
			r.t.Errorf("record %d processed %d times; processed %v", i, seen[i], processed)
		}
	}
}
