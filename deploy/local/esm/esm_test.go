package esm_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// The behaviours of one shard with one batch in flight, each driven through
// a real bootstrap (testdata/streamfn) and kinesis-local.

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
	dest := r.destinations()
	if len(dest) != 1 {
		t.Fatalf("destination got %v", dest)
	}
	info := dest[0]["KinesisBatchInfo"].(map[string]any)
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
	if dest := r.destinations(); len(dest) != 1 || dest[0]["requestContext"].(map[string]any)["condition"] != "RecordAgeExceeded" {
		t.Fatalf("destination %v", dest)
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

// throttled refuses the first n invocations (all, with always) as Lambda
// refuses one when the function is at its concurrency.
type throttled struct {
	esm.Function
	n      atomic.Int64
	always bool
}

func (f *throttled) Invoke(ctx context.Context, payload []byte, trace string, wait bool) (lambda.Result, error) {
	if f.always || f.n.Add(-1) >= 0 {
		return lambda.Result{}, &lambda.ThrottleError{Reason: "ReservedFunctionConcurrentInvocationLimitExceeded"}
	}
	return f.Function.Invoke(ctx, payload, trace, wait)
}

// An invocation that could not run (throttled) is retried without using up
// an attempt: two throttles, a function error and the one retry allowed,
// and the batch succeeds; nothing goes to the destination.
func TestThrottlesAreNotAttempts(t *testing.T) {
	r := newRig(t)
	r.put(`{"fail":"error","times":1}`)
	wrap := func(f esm.Function) esm.Function { t := &throttled{Function: f}; t.n.Store(2); return t }
	stop, m := r.runWith(options{wrap: wrap}, func(c *esm.Config) { c.MaximumRetryAttempts = 1; c.ReportBatchItemFailures = false })
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	if got, dest := r.invocations(), r.destinations(); len(got) != 2 || len(dest) != 0 {
		t.Fatalf("batches %v, destination %v: want the failure and its retry, nothing discarded", got, dest)
	}
}

// A batch that cannot be invoked at all is retried until its records are
// older than the maximum record age, then goes to the destination.
func TestThrottledUntilTheRecordAge(t *testing.T) {
	wrap := func(f esm.Function) esm.Function { return &throttled{Function: f, always: true} }
	agesOut(t, options{wrap: wrap})
}

// The same with a real host whose reserved concurrency is 0: Lambda throttles
// every invocation of the mapping, which retries until the record is too old
// and then sends it to the destination, the shard going on.
func TestThrottledHostAgesRecordsOut(t *testing.T) { agesOut(t, options{zero: true}) }

// agesOut runs a mapping whose function o never lets run, with a maximum
// record age of 1 s: its one record goes to the destination, never run.
func agesOut(t *testing.T, o options) {
	r := newRig(t)
	r.put(`{}`)
	stop, m := r.runWith(o, func(c *esm.Config) { c.MaximumRecordAge = time.Second })
	defer stop()
	r.until("the checkpoint at the end", r.checkpointed(m))
	dest := r.destinations()
	if len(dest) != 1 || dest[0]["requestContext"].(map[string]any)["condition"] != "RecordAgeExceeded" || len(r.invocations()) != 0 {
		t.Fatalf("destination %v, batches %v: want the record discarded for its age, never run", dest, r.invocations())
	}
}
