// Package esm runs Kinesis event source mappings with Lambda's documented
// semantics: a poller per shard, batch size and batching window, starting
// position, order per shard, partial batch responses (checkpoint at the
// lowest failed sequence number; an empty, null or unknown itemIdentifier
// fails the whole batch), bisection on function error, maximum retry
// attempts and record age, and an on-failure destination that receives the
// batch's metadata, not its records.
package esm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

// Config is one stream event of a function.
type Config struct {
	StreamARN                  string
	StreamName                 string
	BatchSize                  int
	BatchWindow                time.Duration
	StartingPosition           string // TRIM_HORIZON or LATEST
	ReportBatchItemFailures    bool
	BisectBatchOnFunctionError bool
	MaximumRetryAttempts       int           // -1: until the records expire
	MaximumRecordAge           time.Duration // <0: until the records expire
	// OnFailure sends a destination message (nil: none).
	OnFailure func(ctx context.Context, message []byte) error
	// PollInterval is the pause between empty polls [250ms].
	PollInterval time.Duration
	Region       string
}

// Mapping runs one stream event.
type Mapping struct {
	cfg    Config
	client KinesisAPI
	host   *lambda.Host
	log    *slog.Logger

	mu     sync.Mutex
	shards map[string]*ShardState
}

// ShardState is where a shard's poller stands.
type ShardState struct {
	Read        int    // records read from the shard
	Checkpoint  string // the last sequence number done with
	Behind      int    // records fetched and not yet done
	Invocations int
	Destination int // batches sent to the on-failure destination
	CaughtUp    bool
}

// New returns a mapping; Run starts it.
func New(cfg Config, client KinesisAPI, host *lambda.Host, log *slog.Logger) *Mapping {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 250 * time.Millisecond
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Mapping{cfg: cfg, client: client, host: host, log: log, shards: map[string]*ShardState{}}
}

// FromTrimHorizon returns a new mapping of the same stream and function that
// starts at the oldest record: a replay.
func (m *Mapping) FromTrimHorizon() *Mapping {
	cfg := m.cfg
	cfg.StartingPosition = "TRIM_HORIZON"
	return New(cfg, m.client, m.host, m.log)
}

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

// Run polls every shard until ctx ends.
func (m *Mapping) Run(ctx context.Context) error {
	out, err := m.client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: &m.cfg.StreamName})
	if err != nil {
		return fmt.Errorf("list shards of %s: %w", m.cfg.StreamARN, err)
	}
	var wg sync.WaitGroup
	for _, sh := range out.Shards {
		id := aws.ToString(sh.ShardId)
		m.update(id, func(*ShardState) {})
		wg.Go(func() { m.poll(ctx, id) })
	}
	wg.Wait()
	return nil
}

func (m *Mapping) poll(ctx context.Context, shard string) {
	iterType := types.ShardIteratorTypeLatest
	if m.cfg.StartingPosition == "TRIM_HORIZON" {
		iterType = types.ShardIteratorTypeTrimHorizon
	}
	var iter *string
	var buf []types.Record
	var firstSeen time.Time
	for ctx.Err() == nil {
		if iter == nil {
			it, err := m.client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &m.cfg.StreamName, ShardId: &shard, ShardIteratorType: iterType})
			if err != nil {
				m.log.Warn("shard iterator", "shard", shard, "error", err)
				sleep(ctx, time.Second)
				continue
			}
			iter = it.ShardIterator
		}
		if len(buf) < m.cfg.BatchSize {
			out, err := m.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(int32(min(10000, m.cfg.BatchSize*4)))})
			if err != nil {
				if ctx.Err() == nil {
					m.log.Warn("get records", "shard", shard, "error", err)
					sleep(ctx, time.Second)
				}
				continue
			}
			if out.NextShardIterator != nil {
				iter = out.NextShardIterator
			}
			if len(buf) == 0 && len(out.Records) > 0 {
				firstSeen = time.Now()
			}
			buf = append(buf, out.Records...)
			caught := aws.ToInt64(out.MillisBehindLatest) == 0 && len(out.Records) == 0
			read := len(out.Records)
			m.update(shard, func(s *ShardState) { s.Read += read; s.Behind = len(buf); s.CaughtUp = caught && len(buf) == 0 })
		}
		if len(buf) == 0 {
			sleep(ctx, m.cfg.PollInterval)
			continue
		}
		// Wait for a full batch up to the batching window.
		if len(buf) < m.cfg.BatchSize && time.Since(firstSeen) < m.cfg.BatchWindow {
			sleep(ctx, min(m.cfg.PollInterval, m.cfg.BatchWindow-time.Since(firstSeen)))
			continue
		}
		n := min(len(buf), m.cfg.BatchSize)
		m.process(ctx, shard, buf[:n])
		if ctx.Err() != nil {
			return
		}
		last := aws.ToString(buf[n-1].SequenceNumber)
		buf = buf[n:]
		if len(buf) > 0 {
			firstSeen = time.Now()
		}
		m.update(shard, func(s *ShardState) { s.Checkpoint = last; s.Behind = len(buf) })
	}
}

// process delivers one batch until it is done: succeeded, or retried out and
// sent to the destination. It returns when the batch is finished with.
func (m *Mapping) process(ctx context.Context, shard string, batch []types.Record) {
	pending := m.dropExpired(ctx, shard, batch)
	attempts := 0
	for len(pending) > 0 && ctx.Err() == nil {
		res, err := m.invoke(ctx, shard, pending)
		attempts++
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log.Warn("invoke", "shard", shard, "error", err)
			sleep(ctx, time.Second)
			continue
		}
		failedFrom := len(pending) // index of the first record to deliver again
		failure := res.FunctionError != ""
		if !failure && m.cfg.ReportBatchItemFailures {
			idx, ok := lowestFailure(res.Payload, pending)
			if !ok {
				failure = true // a malformed response fails the whole batch
			} else {
				failedFrom = idx
			}
		}
		if failure {
			failedFrom = 0
		}
		if failedFrom == len(pending) {
			return
		}
		pending = pending[failedFrom:]
		if failure && m.cfg.BisectBatchOnFunctionError && len(pending) > 1 {
			half := len(pending) / 2
			m.process(ctx, shard, pending[:half])
			m.process(ctx, shard, pending[half:])
			return
		}
		if m.cfg.MaximumRetryAttempts >= 0 && attempts > m.cfg.MaximumRetryAttempts {
			m.toDestination(ctx, shard, pending, "RetryAttemptsExhausted", attempts, res)
			return
		}
		pending = m.dropExpired(ctx, shard, pending)
		sleep(ctx, min(time.Duration(attempts)*100*time.Millisecond, 2*time.Second))
	}
}

// lowestFailure reads a partial batch response and returns the index of the
// lowest failed record (len when none failed). ok is false when the response
// is not one Lambda accepts, which fails the whole batch.
func lowestFailure(payload []byte, batch []types.Record) (int, bool) {
	var resp struct {
		BatchItemFailures *[]struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(payload) == 0 || string(payload) == "null" {
		return len(batch), true
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		return 0, false
	}
	if resp.BatchItemFailures == nil {
		return len(batch), true
	}
	lowest := len(batch)
	for _, f := range *resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" {
			return 0, false
		}
		i := -1
		for j, r := range batch {
			if aws.ToString(r.SequenceNumber) == *f.ItemIdentifier {
				i = j
				break
			}
		}
		if i < 0 {
			return 0, false
		}
		lowest = min(lowest, i)
	}
	return lowest, true
}

func (m *Mapping) invoke(ctx context.Context, shard string, records []types.Record) (lambda.Result, error) {
	ev := events.KinesisEvent{Records: make([]events.KinesisEventRecord, len(records))}
	for i, r := range records {
		seq := aws.ToString(r.SequenceNumber)
		ev.Records[i] = events.KinesisEventRecord{
			AwsRegion: m.cfg.Region, EventID: shard + ":" + seq, EventName: "aws:kinesis:record",
			EventSource: "aws:kinesis", EventSourceArn: m.cfg.StreamARN, EventVersion: "1.0",
			InvokeIdentityArn: "arn:aws:iam::000000000000:role/" + m.host.Name() + "-role",
			Kinesis: events.KinesisRecord{
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: aws.ToTime(r.ApproximateArrivalTimestamp)},
				Data:                        r.Data, PartitionKey: aws.ToString(r.PartitionKey), SequenceNumber: seq,
				KinesisSchemaVersion: "1.0",
			},
		}
	}
	payload, _ := json.Marshal(ev)
	m.update(shard, func(s *ShardState) { s.Invocations++ })
	return m.host.Invoke(ctx, payload, "", true)
}

// dropExpired sends records older than the maximum record age to the
// destination and returns the rest.
func (m *Mapping) dropExpired(ctx context.Context, shard string, batch []types.Record) []types.Record {
	if m.cfg.MaximumRecordAge < 0 || m.cfg.MaximumRecordAge == 0 {
		return batch
	}
	cut := time.Now().Add(-m.cfg.MaximumRecordAge)
	i := 0
	for i < len(batch) && aws.ToTime(batch[i].ApproximateArrivalTimestamp).Before(cut) {
		i++
	}
	if i > 0 {
		m.toDestination(ctx, shard, batch[:i], "RecordAgeExceeded", 0, lambda.Result{})
	}
	return batch[i:]
}

func (m *Mapping) toDestination(ctx context.Context, shard string, records []types.Record, condition string, invokes int, last lambda.Result) {
	m.update(shard, func(s *ShardState) { s.Destination++ })
	first, lastRec := records[0], records[len(records)-1]
	msg := map[string]any{
		"requestContext":  map[string]any{"requestId": newID(), "functionArn": m.host.ARN(), "condition": condition, "approximateInvokeCount": invokes},
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": last.FunctionError},
		"version":         "1.0",
		"timestamp":       time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"KinesisBatchInfo": map[string]any{
			"shardId": shard, "startSequenceNumber": aws.ToString(first.SequenceNumber), "endSequenceNumber": aws.ToString(lastRec.SequenceNumber),
			"approximateArrivalOfFirstRecord": aws.ToTime(first.ApproximateArrivalTimestamp).UTC().Format("2006-01-02T15:04:05.000Z"),
			"approximateArrivalOfLastRecord":  aws.ToTime(lastRec.ApproximateArrivalTimestamp).UTC().Format("2006-01-02T15:04:05.000Z"),
			"batchSize":                       len(records), "streamArn": m.cfg.StreamARN,
		},
	}
	m.log.Warn("batch sent to the on-failure destination", "shard", shard, "condition", condition, "records", len(records))
	if m.cfg.OnFailure == nil {
		return
	}
	body, _ := json.Marshal(msg)
	if err := m.cfg.OnFailure(ctx, body); err != nil {
		m.log.Error("on-failure destination", "error", err)
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

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
