package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/moviepipe/moviepipe/contracts"
)

// The reasons of the entries a failed batch leaves (error-record.v1).
const (
	// ReasonExhaustedRetries is a record of a batch the mapping gave up on,
	// read back from the stream: redrive it once the cause is fixed.
	ReasonExhaustedRetries = "exhausted_retries"
	// ReasonRecordsExpired is the records of such a batch that had left the
	// stream before they were read back: lost, one entry for them all.
	ReasonRecordsExpired = "records_expired"
)

// BatchOutcome is what DrainFailedBatches did with one on-failure message.
type BatchOutcome struct {
	MessageID string
	Batch     *BatchInfo // nil when the message names no Kinesis batch
	Parked    int        // records parked (on a dry run: found); 0 if a write failed
	Lost      int        // records neither read back nor parked before: lost; 0 if a write failed
	Deleted   bool       // the message is off the queue
	Ready     bool       // on a dry run: it would be worked off
	Why       string     // why it stays, or what was done
}

// failureMessage is what is read of an on-failure message: Lambda's
// invocation record for a Kinesis event source.
type failureMessage struct {
	RequestContext struct {
		Condition string `json:"condition"`
	} `json:"requestContext"`
	KinesisBatchInfo *BatchInfo `json:"KinesisBatchInfo"`
}

// The receive settings: up to ten messages a call, long polling for a
// short while (short polling may answer empty while messages wait), and
// long enough a visibility timeout for a batch of 10,000 records.
const (
	receiveWait       = 2
	receiveVisibility = 300
)

// DrainFailedBatches works off the on-failure queue: for each message it
// reads the batch's records back from the stream, parks each in the error
// table with reason exhausted_retries and the batch info, and deletes the
// message only once every record is parked. Records the stream no longer
// has and the table does not hold already are parked as one
// records_expired entry, and the message is deleted then too (Lost says
// how many). A message it cannot work off stays, made
// visible again at once, with the reason in its outcome. Entries are keyed
// as the processor keys them (process#<shard id>#<sequence number>) and
// written only where no entry is, so a rerun after a crash parks nothing
// twice and an entry the processor wrote keeps its own reason. With dryRun
// it reads and counts, and changes nothing.
func (t *Table) DrainFailedBatches(ctx context.Context, dryRun bool) ([]BatchOutcome, error) {
	q, err := t.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &t.Queue})
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", t.Queue, err)
	}
	var out []BatchOutcome
	// keep is the latest receipt handle of each message that stays: one
	// back in the queue after its visibility timeout, during a long run, is
	// received again with a new handle, and only that one is current.
	keep := map[string]*string{}
	seen := map[string]bool{}
	for {
		got, err := t.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10,
			WaitTimeSeconds: receiveWait, VisibilityTimeout: receiveVisibility})
		if err != nil {
			return out, errors.Join(fmt.Errorf("receive from %s: %w", t.Queue, err), t.release(ctx, q.QueueUrl, keep))
		}
		fresh := false
		for _, m := range got.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] {
				keep[id] = m.ReceiptHandle
				continue
			}
			seen[id], fresh = true, true
			o := t.drainOne(ctx, q.QueueUrl, m, dryRun)
			if !o.Deleted {
				keep[id] = m.ReceiptHandle
			}
			out = append(out, o)
		}
		if !fresh {
			return out, t.release(ctx, q.QueueUrl, keep)
		}
	}
}

// release makes the messages that stay visible again at once, for the
// next run. A message no longer in flight (its visibility timeout ran out:
// SQS answers MessageNotInflight for an expired handle too) is visible
// already.
func (t *Table) release(ctx context.Context, queue *string, receipts map[string]*string) error {
	var errs []error
	for id, r := range receipts {
		_, err := t.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: queue, ReceiptHandle: r})
		if _, visible := errors.AsType[*sqstypes.MessageNotInflight](err); err != nil && !visible {
			errs = append(errs, fmt.Errorf("release message %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// drainOne works off one message.
func (t *Table) drainOne(ctx context.Context, queue *string, m sqstypes.Message, dryRun bool) BatchOutcome {
	o := BatchOutcome{MessageID: aws.ToString(m.MessageId)}
	var msg failureMessage
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil || msg.KinesisBatchInfo == nil {
		o.Why = "not a Kinesis on-failure record (no KinesisBatchInfo): left in the queue"
		return o
	}
	b := *msg.KinesisBatchInfo
	o.Batch = &b
	s, err := b.check(t.Stream)
	if err != nil {
		o.Why = err.Error() + ": left in the queue"
		return o
	}
	recs, err := t.batchRecords(ctx, b, s)
	if err != nil {
		o.Why = err.Error() + ": left in the queue"
		return o
	}
	lost, err := t.lostRecords(ctx, b, s, recs)
	if err != nil {
		o.Why = err.Error() + ": left in the queue"
		return o
	}
	entries := make([]Entry, 0, len(recs)+1)
	for _, r := range recs {
		entries = append(entries, t.recordEntry(r, b, msg.RequestContext.Condition))
	}
	if lost > 0 {
		entries = append(entries, t.expiredEntry(b, lost, msg.RequestContext.Condition))
	}
	if dryRun {
		o.Parked, o.Lost, o.Ready = len(recs), lost, true
		o.Why = fmt.Sprintf("would park %d of %d records (%d lost) and delete the message", o.Parked, b.BatchSize, o.Lost)
		return o
	}
	for _, e := range entries {
		if err := t.park(ctx, e); err != nil {
			o.Why = err.Error() + ": left in the queue"
			return o
		}
	}
	o.Parked, o.Lost = len(recs), lost
	if _, err := t.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queue, ReceiptHandle: m.ReceiptHandle}); err != nil {
		o.Why = fmt.Sprintf("every record is parked but the message stays (a rerun parks nothing twice): %v", err)
		return o
	}
	o.Deleted, o.Why = true, fmt.Sprintf("%d of %d records parked as %s", o.Parked, b.BatchSize, ReasonExhaustedRetries)
	if o.Lost > 0 {
		o.Why += fmt.Sprintf("; %d had left the stream: LOST, parked as one %s entry", o.Lost, ReasonRecordsExpired)
	}
	return o
}

// lostRecords counts the records of b that are lost: neither among recs,
// read back, nor parked already, by the processor or by an earlier run
// that stopped before it deleted the message (their entries are keyed
// process#<shard id>#<sequence number>, in b's range). A batch is every
// record of its shard from its first sequence number through its last.
func (t *Table) lostRecords(ctx context.Context, b BatchInfo, s span, recs []ktypes.Record) (int, error) {
	missing := b.BatchSize - len(recs)
	if missing <= 0 {
		return 0, nil
	}
	read := make(map[string]bool, len(recs))
	for _, r := range recs {
		read[aws.ToString(r.SequenceNumber)] = true
	}
	prefix := "process#" + b.ShardID + "#"
	p := dynamodb.NewScanPaginator(t.DynamoDB, &dynamodb.ScanInput{TableName: &t.Errors, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("errorId"), FilterExpression: aws.String("begins_with(errorId, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: prefix}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("look for records parked before in %s: %w", t.Errors, err)
		}
		for _, item := range page.Items {
			id, isStr := item["errorId"].(*types.AttributeValueMemberS)
			if seq := strings.TrimPrefix(id.Value, prefix); isStr && !read[seq] && s.place(seq) == 0 {
				missing--
			}
		}
	}
	return max(missing, 0), nil
}

// park writes e unless an entry of that id is there: the processor's own
// entry keeps its reason, and a rerun writes nothing twice.
func (t *Table) park(ctx context.Context, e Entry) error {
	if err := validEntry(&e); err != nil {
		return err
	}
	item, err := attributevalue.MarshalMap(e)
	if err != nil {
		return fmt.Errorf("marshal %s: %w", e.ErrorID, err)
	}
	_, err = t.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Errors, Item: item,
		ConditionExpression: aws.String("attribute_not_exists(errorId)")})
	if _, there := errors.AsType[*types.ConditionalCheckFailedException](err); there {
		return nil
	}
	if err != nil {
		return fmt.Errorf("park %s: %w", e.ErrorID, err)
	}
	return nil
}

// recordEntry is the entry of one record read back: keyed and dated by its
// place and arrival in the stream, as the processor parks a record.
func (t *Table) recordEntry(r ktypes.Record, b BatchInfo, condition string) Entry {
	seq := aws.ToString(r.SequenceNumber)
	e := Entry{Schema: string(contracts.ErrorRecordV1), ErrorID: "process#" + b.ShardID + "#" + seq, Stage: "process",
		Reason: ReasonExhaustedRetries, ShardID: b.ShardID, SequenceNumber: seq, KinesisBatchInfo: &b,
		Message: fmt.Sprintf("the processor's batch failed (%s) and went to the on-failure queue; read back from the stream", condition)}
	kept := contracts.NewErrorPayload(r.Data)
	e.Payload, e.PayloadEncoding, e.PayloadBytes, e.PayloadTruncated = kept.Text, kept.Encoding, kept.Bytes, kept.Truncated
	var own struct{ ID, RunID, SourceURL, TraceHeader any }
	if json.Unmarshal(r.Data, &own) == nil {
		e.MovieID, _ = own.ID.(string)
		e.RunID, _ = own.RunID.(string)
		e.SourceURL, _ = own.SourceURL.(string)
		e.TraceHeader, _ = own.TraceHeader.(string)
	}
	t.date(&e, aws.ToTime(r.ApproximateArrivalTimestamp))
	return e
}

// expiredEntry is the one entry of the records of b the stream no longer
// has: no payload, keyed by the batch's first sequence number.
func (t *Table) expiredEntry(b BatchInfo, lost int, condition string) Entry {
	e := Entry{Schema: string(contracts.ErrorRecordV1), ErrorID: "process#" + b.ShardID + "#expired#" + b.StartSequenceNumber,
		Stage: "process", Reason: ReasonRecordsExpired, PayloadEncoding: "utf8", ShardID: b.ShardID,
		SequenceNumber: b.StartSequenceNumber, KinesisBatchInfo: &b,
		Message: fmt.Sprintf("%d of the %d records of a batch the processor gave up on (%s) had left the stream (past its retention) before they were read back, and none of them was parked: they are lost; the batch info names their range",
			lost, b.BatchSize, condition)}
	arrived, _ := time.Parse(time.RFC3339Nano, b.ApproximateArrivalOfFirstRecord)
	t.date(&e, arrived)
	return e
}

// date sets when e occurred (the record's arrival; now if unknown) and
// when the table's TTL may delete it.
func (t *Table) date(e *Entry, at time.Time) {
	if at.IsZero() {
		at = time.Now()
	}
	ttl := t.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	e.OccurredAt, e.ExpiresAt = at.UTC().Format(time.RFC3339Nano), at.Add(ttl).Unix()
}

// validEntry holds e to error-record.v1, first dropping what a broken
// record said about itself that the contract refuses (its id, run, URL or
// trace header). Anything else refused is a bug here, reported.
func validEntry(e *Entry) error {
	for dropped := false; ; dropped = true {
		doc, _ := json.Marshal(e) // strings, numbers and a struct of them
		err := contracts.Validate(contracts.ErrorRecordV1, doc)
		ve, ok := errors.AsType[*contracts.ValidationError](err)
		if err == nil || !ok || dropped {
			if err != nil {
				return fmt.Errorf("entry %s is not an error-record.v1: %w", e.ErrorID, err)
			}
			return nil
		}
		for _, v := range ve.Violations {
			switch v.Member() {
			case "movieId":
				e.MovieID = ""
			case "runId":
				e.RunID = ""
			case "sourceUrl":
				e.SourceURL = ""
			case "traceHeader":
				e.TraceHeader = ""
			default:
				return fmt.Errorf("entry %s is not an error-record.v1: %w", e.ErrorID, ve)
			}
		}
	}
}
