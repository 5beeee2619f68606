// Package esm runs Kinesis event source mappings with Lambda's documented
// semantics: a poller per shard, shards listed again as the stream is
// resharded and a child read only once its parents are read to their end
// and done with, batches cut by count, batching window and Lambda's 6 MB
// invocation payload, up to ParallelizationFactor concurrent batches per
// shard with order kept per partition key, starting position, partial
// batch responses (checkpoint at the lowest failed sequence number; an
// empty, null or unknown itemIdentifier fails the whole batch), bisection
// on function error, maximum retry attempts and record age, and an
// on-failure destination that receives the batch's metadata, not its
// records. An expired or invalid shard iterator is replaced by one that
// starts after the last checkpoint, so nothing is lost or delivered twice.
// A disabled mapping exists and does not poll.
package esm

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// KinesisAPI is the part of the Kinesis client a mapping uses.
type KinesisAPI interface {
	ListShards(context.Context, *kinesis.ListShardsInput, ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(context.Context, *kinesis.GetShardIteratorInput, ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Function is the function a mapping invokes (a *lambda.Host): always
// synchronously, waiting for a free environment.
type Function interface {
	ARN() string
	Invoke(ctx context.Context, payload []byte, traceHeader string, wait bool) (lambda.Result, error)
}

// Config is one stream event of a function. Its zero values are AWS's
// defaults where AWS has one; ranges are checked by whoever builds it, as
// CreateEventSourceMapping does.
type Config struct {
	StreamARN  string
	StreamName string
	Region     string
	// Disabled is Enabled: false: the mapping exists and does not poll.
	Disabled    bool
	BatchSize   int           // [100]
	BatchWindow time.Duration // MaximumBatchingWindowInSeconds [0]
	// ParallelizationFactor is how many batches of one shard may be in
	// flight at once [1]; records of one partition key stay in order.
	ParallelizationFactor int
	// StartingPosition (TRIM_HORIZON or LATEST) applies to the shards the
	// stream has when the mapping starts; shards made later by resharding
	// are read from their start.
	StartingPosition           string
	ReportBatchItemFailures    bool
	BisectBatchOnFunctionError bool
	MaximumRetryAttempts       int           // -1: until the records expire
	MaximumRecordAge           time.Duration // <=0: until the records expire
	// OnFailure sends a destination message (nil: none).
	OnFailure func(ctx context.Context, message []byte) error
	// InvokeIdentityARN is the function's execution role, the events'
	// invokeIdentityArn.
	InvokeIdentityARN string
	PollInterval      time.Duration // pause between empty polls [250ms]
	ShardRefresh      time.Duration // pause between shard listings [2s]
}

// Mapping runs one stream event.
type Mapping struct {
	cfg    Config
	client KinesisAPI
	fn     Function
	log    *slog.Logger

	mu     sync.Mutex
	shards map[string]*ShardState
	wake   chan struct{} // a shard ended: list the shards again
}

// ShardState is where a shard's poller stands.
type ShardState struct {
	Read        int    // records read from the shard
	Checkpoint  string // the last sequence number done with, every one before it done too
	Behind      int    // records read and not yet done
	Invocations int
	Destination int  // batches sent to the on-failure destination
	CaughtUp    bool // nothing left to read or do, for now
	Waiting     bool // a child waiting for its parents to end
	Ended       bool // closed by a reshard, read to its end and every record done
}

// New returns a mapping; Run starts it.
func New(cfg Config, client KinesisAPI, fn Function, log *slog.Logger) *Mapping {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.ParallelizationFactor <= 0 {
		cfg.ParallelizationFactor = 1
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if cfg.ShardRefresh <= 0 {
		cfg.ShardRefresh = 2 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mapping{cfg: cfg, client: client, fn: fn, log: log, shards: map[string]*ShardState{}, wake: make(chan struct{}, 1)}
}

// FromTrimHorizon returns a new, enabled mapping of the same stream and
// function that starts at the oldest record: a replay.
func (m *Mapping) FromTrimHorizon() *Mapping {
	cfg := m.cfg
	cfg.StartingPosition = "TRIM_HORIZON"
	cfg.Disabled = false
	return New(cfg, m.client, m.fn, m.log)
}

// Enabled reports whether the mapping polls (Enabled: true).
func (m *Mapping) Enabled() bool { return !m.cfg.Disabled }

// State returns each shard's state.
func (m *Mapping) State() map[string]ShardState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]ShardState{}
	for k, v := range m.shards {
		out[k] = *v
	}
	return out
}

func (m *Mapping) update(shard string, f func(*ShardState)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.shards[shard]
	if !ok {
		s = &ShardState{}
		m.shards[shard] = s
	}
	f(s)
}

// Run polls every shard until ctx ends; a disabled mapping only waits.
// Shards are listed again every ShardRefresh and whenever one ends, and a
// child shard starts once each parent still listed has ended: "you should,
// after a reshard, always continue to read data from the parent shards
// until it is exhausted. Only then should you begin reading data from the
// child shards" (Kinesis Data Streams developer guide, "Data routing, data
// persistence, and shard state after a reshard").
func (m *Mapping) Run(ctx context.Context) error {
	if m.cfg.Disabled {
		<-ctx.Done()
		return nil
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	started := map[string]bool{}
	initial := true
	for {
		shards, err := m.listShards(ctx)
		switch {
		case err != nil && initial:
			return fmt.Errorf("list shards of %s: %w", m.cfg.StreamARN, err)
		case err != nil && ctx.Err() == nil:
			m.log.Warn("list shards", "stream", m.cfg.StreamARN, "error", err)
		case err == nil:
			m.startReady(ctx, &wg, shards, started, initial)
			initial = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		case <-time.After(m.cfg.ShardRefresh):
		}
	}
}

// startReady starts a poller for each listed shard not started yet whose
// parents have ended (or are no longer listed: trimmed away).
func (m *Mapping) startReady(ctx context.Context, wg *sync.WaitGroup, shards []types.Shard, started map[string]bool, initial bool) {
	listed := map[string]bool{}
	for _, sh := range shards {
		listed[aws.ToString(sh.ShardId)] = true
	}
	state := m.State()
	for _, sh := range shards {
		id := aws.ToString(sh.ShardId)
		if started[id] {
			continue
		}
		ready := true
		for _, p := range []*string{sh.ParentShardId, sh.AdjacentParentShardId} {
			if p != nil && listed[*p] && !state[*p].Ended {
				ready = false
			}
		}
		m.update(id, func(s *ShardState) { s.Waiting = !ready })
		if !ready {
			continue
		}
		started[id] = true
		from := types.ShardIteratorTypeTrimHorizon
		if initial && m.cfg.StartingPosition == "LATEST" {
			from = types.ShardIteratorTypeLatest
		}
		p := newShard(m, id, from)
		wg.Go(func() { p.run(ctx) })
	}
}

// listShards returns every shard of the stream, open or closed.
func (m *Mapping) listShards(ctx context.Context) ([]types.Shard, error) {
	var out []types.Shard
	in := &kinesis.ListShardsInput{StreamName: &m.cfg.StreamName}
	for {
		page, err := m.client.ListShards(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Shards...)
		if page.NextToken == nil {
			return out, nil
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken}
	}
}

// ended marks a shard done with and has Run list the shards again, so that
// its children start.
func (m *Mapping) ended(shard string) {
	m.update(shard, func(s *ShardState) { s.Ended, s.CaughtUp, s.Behind = true, true, 0 })
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
