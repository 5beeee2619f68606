package ops_test

import (
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/moviepipe/moviepipe/deploy/ops"
)

// around runs before ahead of each call a client makes to op (an error
// fails the call, unsent) and after on each answer; either may be nil.
func around(op string, before func(ctx context.Context, params any) error, after func(ctx context.Context, result any)) func(*middleware.Stack) error {
	return func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("around", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if middleware.GetOperationName(ctx) != op {
				return next.HandleInitialize(ctx, in)
			}
			if before != nil {
				if err := before(ctx, in.Parameters); err != nil {
					return middleware.InitializeOutput{}, middleware.Metadata{}, err
				}
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if after != nil && err == nil {
				after(ctx, out.Result)
			}
			return out, md, err
		}), middleware.Before)
	}
}

func loadConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// minus is the sequence number n below seq.
func minus(seq string, n int64) string {
	v, _ := new(big.Int).SetString(seq, 10)
	return v.Sub(v, big.NewInt(n)).String()
}

// A write to the error table that fails (here: denied) keeps the message,
// and the outcome counts nothing parked or lost: the records are still
// only in the stream.
func TestFailedBatchWhoseWriteFails(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000001"), film("tt0000002"))
	failed(t, tb, shard, seqs[0], seqs[1], 4)
	denied := &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: dynamodb:PutItem"}
	tb.DynamoDB = dynamodb.NewFromConfig(loadConfig(t), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, around("PutItem", func(context.Context, any) error { return denied }, nil))
	})
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 1 {
		t.Fatalf("drain %+v %v", out, err)
	}
	if o := out[0]; o.Deleted || o.Parked != 0 || o.Lost != 0 || !strings.Contains(o.Why, "AccessDeniedException") {
		t.Errorf("outcome %+v, want kept with nothing parked or lost", o)
	}
	if n := waiting(t, tb); n != 1 {
		t.Errorf("%d messages in the queue, want the one kept", n)
	}
}

// A message kept that comes back during the run (its visibility timeout
// ran out) is received again with a new receipt handle: it is released by
// that one. A message whose handle expired before its release is visible
// already: not an error either.
func TestFailedBatchReleasesByTheLatestReceipt(t *testing.T) {
	for _, name := range []string{"received again", "expired before release"} {
		t.Run(name, func(t *testing.T) {
			tb := emptyTable(t)
			send(t, tb, `{"not":"an invocation record"}`)
			plain := tb.SQS
			q, _ := plain.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: &tb.Queue})
			visible := func(ctx context.Context, receipt *string) {
				if _, err := plain.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: receipt}); err != nil {
					t.Error(err)
				}
			}
			hook := around("ChangeMessageVisibility", func(ctx context.Context, in any) error {
				visible(ctx, in.(*sqs.ChangeMessageVisibilityInput).ReceiptHandle) // its timeout ran out just now
				return nil
			}, nil)
			if name == "received again" {
				first := true
				hook = around("ReceiveMessage", nil, func(ctx context.Context, out any) {
					for _, m := range out.(*sqs.ReceiveMessageOutput).Messages {
						if first {
							first = false
							visible(ctx, m.ReceiptHandle) // its timeout ran out during the run
						}
					}
				})
			}
			tb.SQS = sqs.NewFromConfig(loadConfig(t), func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, hook) })
			out, err := tb.DrainFailedBatches(t.Context(), false)
			if err != nil || len(out) != 1 || out[0].Deleted {
				t.Fatalf("drain %+v %v, want the message kept and no error", out, err)
			}
			tb.SQS = plain
			if n := waiting(t, tb); n != 1 {
				t.Errorf("%d messages visible, want the one kept", n)
			}
		})
	}
}

// A rerun after a run that parked records and stopped before deleting
// the message does not count as lost the records it parked that have left
// the stream since (the first two of the batch, past the trim horizon:
// see TestFailedBatchPastTheTrimHorizon): lost are only the records neither read back nor in the
// error table (here one of two; an entry outside the batch does not count).
func TestFailedBatchRerunCountsParkedRecordsAsNotLost(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000003"), film("tt0000004"))
	start := minus(seqs[0], 20)
	for _, seq := range []string{start, minus(start, 1)} {
		e := ops.Entry{ErrorID: "process#" + shard + "#" + seq, Stage: "process", Reason: ops.ReasonExhaustedRetries, Message: "parked by an earlier run",
			Payload: film("tt0000001"), PayloadEncoding: "utf8", PayloadBytes: len(film("tt0000001")), ShardID: shard, SequenceNumber: seq, OccurredAt: "2026-11-26T09:30:00Z"}
		item, _ := attributevalue.MarshalMap(e)
		if _, err := tb.DynamoDB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &tb.Errors, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	failed(t, tb, shard, start, seqs[1], 4)
	pastRetention(t, tb)
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 1 {
		t.Fatalf("drain %+v %v", out, err)
	}
	if o := out[0]; !o.Deleted || o.Parked != 2 || o.Lost != 1 {
		t.Fatalf("outcome %+v, want 2 parked and 1 lost", o)
	}
	if e := rawEntries(t, tb)["process#"+shard+"#expired#"+start]; e.Reason != ops.ReasonRecordsExpired || !strings.Contains(e.Message, "1 of the 4 records") {
		t.Errorf("records_expired entry %+v", e)
	}
}

// Should Kinesis refuse the batch's first sequence number as an invalid
// argument (as it may one past the stream's retention: not emulated, so
// injected here), the batch is read from the trim horizon: when the oldest
// record comes after that number, what is missing is lost and the message
// goes; when it does not, the refusal was for something else and the
// message stays.
func TestFailedBatchPastTheTrimHorizon(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000003"), film("tt0000004"))
	trimmed := minus(seqs[0], 20)
	failed(t, tb, shard, trimmed, seqs[1], 4)
	failed(t, tb, shard, seqs[1], seqs[1], 1)
	pastRetention(t, tb)
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 2 {
		t.Fatalf("drain %+v %v", out, err)
	}
	if o := out[0]; !o.Deleted || o.Parked != 2 || o.Lost != 2 {
		t.Errorf("a batch past the trim horizon: %+v, want 2 parked, 2 lost", o)
	}
	if o := out[1]; o.Deleted || !strings.Contains(o.Why, "InvalidArgumentException") {
		t.Errorf("a batch within the stream: %+v, want it kept with the refusal", o)
	}
	if e := rawEntries(t, tb)["process#"+shard+"#expired#"+trimmed]; e.Reason != ops.ReasonRecordsExpired {
		t.Errorf("no records_expired entry: %+v", e)
	}
}

// pastRetention makes tb's Kinesis client answer every GetShardIterator
// AT_SEQUENCE_NUMBER with an InvalidArgumentException, as Kinesis may for
// a sequence number past the stream's retention: kinesis-local does not
// trim.
func pastRetention(t *testing.T, tb *ops.Table) {
	t.Helper()
	tb.Kinesis = kinesis.NewFromConfig(loadConfig(t), func(o *kinesis.Options) {
		o.APIOptions = append(o.APIOptions, around("GetShardIterator", func(_ context.Context, in any) error {
			if gsi := in.(*kinesis.GetShardIteratorInput); gsi.ShardIteratorType == ktypes.ShardIteratorTypeAtSequenceNumber {
				return &ktypes.InvalidArgumentException{Message: aws.String("injected: " + aws.ToString(gsi.StartingSequenceNumber) + " taken as past the retention of " + tb.Stream)}
			}
			return nil
		}, nil))
	})
}
