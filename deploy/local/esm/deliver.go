package esm

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	smithyrand "github.com/aws/smithy-go/rand"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// process delivers one batch until it is done with: succeeded, or retried
// out or too old and sent to the destination; its records are then done.
// It returns false when ctx ended first.
//
// A failed invocation (the function could not be run: throttled, say) is
// retried, until the records are too old, without counting as an attempt:
// "If a Lambda event source mapping is unable to invoke the function due to
// throttling or other issues, it retries until the records expire or exceed
// the maximum age";
// bisection "doesn't consume the retry quota" (Lambda developer guide,
// "Retain discarded batch records for a Kinesis Data Streams event source").
func (s *shard) process(ctx context.Context, batch []*record) bool {
	pending := s.dropExpired(ctx, batch, 0, lambda.Result{})
	attempts := 0
	for len(pending) > 0 {
		res, err := s.invoke(ctx, pending)
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			s.m.log.Warn("invoke", "shard", s.id, "error", err)
			pending = s.dropExpired(ctx, pending, attempts, lambda.Result{})
			sleep(ctx, time.Second)
			continue
		}
		attempts++
		failedFrom, whole := s.outcome(res, pending)
		s.finish(pending[:failedFrom])
		if failedFrom == len(pending) {
			return true
		}
		pending = pending[failedFrom:]
		if whole && s.m.cfg.BisectBatchOnFunctionError && len(pending) > 1 {
			half := len(pending) / 2
			return s.process(ctx, pending[:half]) && s.process(ctx, pending[half:])
		}
		if s.m.cfg.MaximumRetryAttempts >= 0 && attempts > s.m.cfg.MaximumRetryAttempts {
			s.toDestination(ctx, pending, "RetryAttemptsExhausted", attempts, res)
			s.finish(pending)
			return true
		}
		pending = s.dropExpired(ctx, pending, attempts, res)
		sleep(ctx, min(time.Duration(attempts)*100*time.Millisecond, 2*time.Second))
	}
	return true
}

// outcome reads an invocation's result: the index of the first record to
// deliver again (len when none), and whether the whole batch failed.
func (s *shard) outcome(res lambda.Result, batch []*record) (int, bool) {
	if res.FunctionError != "" {
		return 0, true
	}
	if !s.m.cfg.ReportBatchItemFailures {
		return len(batch), false
	}
	idx, ok := lowestFailure(res.Payload, batch)
	if !ok {
		return 0, true // a response Lambda does not accept fails the whole batch
	}
	return idx, false
}

// lowestFailure reads a partial batch response and returns the index of the
// lowest failed record (len when none failed). ok is false when the response
// is not one Lambda accepts, which fails the whole batch. Lambda treats as
// a complete success "an empty batchItemFailure list, a null
// batchItemFailure list, an empty EventResponse, a null EventResponse", and
// as a complete failure "an empty string itemIdentifier, a null
// itemIdentifier, an itemIdentifier with a bad key name" (Lambda developer
// guide, "Configuring partial batch response with Kinesis Data Streams").
func lowestFailure(payload []byte, batch []*record) (int, bool) {
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier *string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(payload) == 0 || string(payload) == "null" {
		return len(batch), true
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		return 0, false
	}
	lowest := len(batch)
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" {
			return 0, false
		}
		i := -1
		for j, r := range batch {
			if r.seq == *f.ItemIdentifier {
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

// invoke invokes the function once. A function at its concurrency throttles
// the mapping as Lambda does, at once, and process retries: waiting for a
// free place instead would hang the shard for good on a function whose
// concurrency is 0, where AWS ages the records out to the destination
// (TestThrottledHostAgesRecordsOut).
func (s *shard) invoke(ctx context.Context, recs []*record) (lambda.Result, error) {
	s.m.update(s.id, func(st *ShardState) { st.Invocations++ })
	return s.m.fn.Invoke(ctx, payload(recs), "", false)
}

// dropExpired sends the records older than the maximum record age to the
// destination, marks them done and returns the rest.
func (s *shard) dropExpired(ctx context.Context, batch []*record, attempts int, last lambda.Result) []*record {
	if s.m.cfg.MaximumRecordAge <= 0 {
		return batch
	}
	cut := time.Now().Add(-s.m.cfg.MaximumRecordAge)
	i := 0
	for i < len(batch) && batch[i].arrival.Before(cut) {
		i++
	}
	if i > 0 {
		s.toDestination(ctx, batch[:i], "RecordAgeExceeded", attempts, last)
		s.finish(batch[:i])
	}
	return batch[i:]
}

// failureRecord is the invocation record an on-failure destination gets,
// field by field as the "Example invocation record" of the Kinesis chapter
// of the Lambda developer guide. functionError is null when the function
// succeeded and reported the records as failed.
type failureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int     `json:"statusCode"`
		ExecutedVersion string  `json:"executedVersion"`
		FunctionError   *string `json:"functionError"`
	} `json:"responseContext"`
	Version          string    `json:"version"`
	Timestamp        string    `json:"timestamp"`
	KinesisBatchInfo batchInfo `json:"KinesisBatchInfo"`
}

type batchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

const millis = "2006-01-02T15:04:05.000Z"

func (s *shard) toDestination(ctx context.Context, recs []*record, condition string, invokes int, last lambda.Result) {
	s.m.update(s.id, func(st *ShardState) { st.Destination++ })
	s.m.log.Warn("batch sent to the on-failure destination", "shard", s.id, "condition", condition, "records", len(recs))
	if s.m.cfg.OnFailure == nil {
		return
	}
	var msg failureRecord
	msg.RequestContext.RequestID, msg.RequestContext.FunctionArn = newID(), s.m.fn.ARN()
	msg.RequestContext.Condition, msg.RequestContext.ApproximateInvokeCount = condition, invokes
	msg.ResponseContext.StatusCode, msg.ResponseContext.ExecutedVersion = 200, "$LATEST"
	if last.FunctionError != "" {
		msg.ResponseContext.FunctionError = &last.FunctionError
	}
	msg.Version, msg.Timestamp = "1.0", time.Now().UTC().Format(millis)
	first, end := recs[0], recs[len(recs)-1]
	msg.KinesisBatchInfo = batchInfo{ShardID: s.id, StartSequenceNumber: first.seq, EndSequenceNumber: end.seq,
		ApproximateArrivalOfFirstRecord: first.arrival.UTC().Format(millis), ApproximateArrivalOfLastRecord: end.arrival.UTC().Format(millis),
		BatchSize: len(recs), StreamArn: s.m.cfg.StreamARN}
	body, _ := json.Marshal(msg) // strings and numbers: it cannot fail
	if err := s.m.cfg.OnFailure(ctx, body); err != nil {
		s.m.log.Error("on-failure destination", "error", err)
	}
}

// newID returns a request id as Lambda forms them (a version 4 UUID).
func newID() string {
	id, _ := smithyrand.NewUUID(rand.Reader).GetUUID() // crypto/rand does not fail
	return id
}
