package ops

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// BatchInfo is the KinesisBatchInfo of an on-failure message, field for
// field as Lambda sends it ("Retain discarded batch records for a Kinesis
// Data Streams event source in Lambda"), and error-record.v1's
// kinesisBatchInfo.
type BatchInfo struct {
	ShardID                         string `json:"shardId" dynamodbav:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber" dynamodbav:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber" dynamodbav:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord,omitempty" dynamodbav:"approximateArrivalOfFirstRecord,omitempty"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord,omitempty" dynamodbav:"approximateArrivalOfLastRecord,omitempty"`
	BatchSize                       int    `json:"batchSize" dynamodbav:"batchSize"`
	StreamArn                       string `json:"streamArn" dynamodbav:"streamArn"`
}

// span is a batch's sequence range as numbers: Kinesis sequence numbers are
// decimal strings of up to 128 digits, ordered as integers, not as text.
type span struct{ start, end *big.Int }

// check says why b cannot name records of stream, or returns its range.
func (b BatchInfo) check(stream string) (span, error) {
	start, ok1 := new(big.Int).SetString(b.StartSequenceNumber, 10)
	end, ok2 := new(big.Int).SetString(b.EndSequenceNumber, 10)
	switch {
	case b.ShardID == "" || b.BatchSize < 1:
		return span{}, errors.New("the batch info names no shard or no records")
	case !ok1 || !ok2 || start.Sign() < 0 || start.Cmp(end) > 0:
		return span{}, fmt.Errorf("the sequence range %q to %q is not one", b.StartSequenceNumber, b.EndSequenceNumber)
	case !strings.HasSuffix(b.StreamArn, ":stream/"+stream):
		return span{}, fmt.Errorf("the batch is of stream %s, not of %s", b.StreamArn, stream)
	}
	return span{start, end}, nil
}

// place compares a record's sequence number with the range: -1 before
// it, 0 inside, 1 after it.
func (s span) place(seq string) int {
	n, ok := new(big.Int).SetString(seq, 10)
	if !ok {
		return -1 // not a sequence number: not one of the batch
	}
	if n.Cmp(s.start) < 0 {
		return -1
	}
	return max(n.Cmp(s.end), 0)
}

// after says whether seq comes after the range's first sequence number.
func (s span) after(seq string) bool {
	n, ok := new(big.Int).SetString(seq, 10)
	return ok && n.Cmp(s.start) > 0
}

// maxEmptyReads bounds the empty GetRecords pages read while the shard is
// still behind its tip; Kinesis may answer a few while it skips a gap.
const maxEmptyReads = 50

// emptyReadPause keeps an empty read loop under Kinesis's five GetRecords
// calls a second per shard.
const emptyReadPause = 200 * time.Millisecond

// batchRecords reads from the stream the records of the batch b names: from
// its first sequence number through its last, on its shard. It stops past
// the last, at the end of a closed shard, or once caught up with the tip;
// fewer records than the batch held means the others left the stream. A
// shard the stream no longer has holds none of them.
func (t *Table) batchRecords(ctx context.Context, b BatchInfo, s span) ([]ktypes.Record, error) {
	iter, horizonErr, err := t.startIterator(ctx, b)
	if iter == nil || err != nil {
		return nil, err
	}
	var recs []ktypes.Record
	empty := 0
	for iter != nil {
		page, err := t.Kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(int32(min(b.BatchSize+1, 10000)))})
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", b.ShardID, err)
		}
		if len(page.Records) > 0 && horizonErr != nil {
			// Read from the trim horizon: the first sequence number was
			// trimmed only if the oldest record left comes after it.
			if !s.after(aws.ToString(page.Records[0].SequenceNumber)) {
				return nil, horizonErr
			}
			horizonErr = nil
		}
		for _, r := range page.Records {
			switch s.place(aws.ToString(r.SequenceNumber)) {
			case -1:
				continue
			case 1:
				return recs, nil
			}
			if recs = append(recs, r); aws.ToString(r.SequenceNumber) == b.EndSequenceNumber {
				return recs, nil
			}
		}
		if len(page.Records) > 0 {
			empty = 0
		} else if aws.ToInt64(page.MillisBehindLatest) == 0 {
			return recs, nil
		} else if empty++; empty > maxEmptyReads {
			return nil, fmt.Errorf("read %s: %d reads found nothing while the shard is still behind its tip; run again", b.ShardID, empty)
		} else if err := pause(ctx, emptyReadPause); err != nil {
			return nil, err
		}
		iter = page.NextShardIterator
	}
	return recs, nil
}

// startIterator is a shard iterator at the batch's first sequence number,
// nil if the shard is gone. Should Kinesis refuse that sequence number as
// an invalid argument (as it may answer one past the stream's retention),
// it is an iterator at the trim horizon, and horizonErr is the refusal:
// batchRecords returns it unless the oldest record left comes after the
// batch's first, that is unless the refusal was for something else.
func (t *Table) startIterator(ctx context.Context, b BatchInfo) (iter *string, horizonErr, err error) {
	it, err := t.Kinesis.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &t.Stream, ShardId: &b.ShardID,
		ShardIteratorType: ktypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: &b.StartSequenceNumber})
	if _, invalid := errors.AsType[*ktypes.InvalidArgumentException](err); invalid {
		horizonErr = fmt.Errorf("shard iterator of %s at %s: %w", b.ShardID, b.StartSequenceNumber, err)
		it, err = t.Kinesis.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &t.Stream, ShardId: &b.ShardID,
			ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	}
	if _, gone := errors.AsType[*ktypes.ResourceNotFoundException](err); gone {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, errors.Join(horizonErr, fmt.Errorf("shard iterator of %s: %w", b.ShardID, err))
	}
	return it.ShardIterator, horizonErr, nil
}

func pause(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
