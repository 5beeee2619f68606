package ops_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/deploy/ops"
)

// film is a valid movie-record.v1 of id.
func film(id string) string {
	return fmt.Sprintf(`{"schema":"movie-record.v1","id":%q,"title":"Film %s","sourceUrl":"https://example.com/","scrapedAt":"2026-11-26T09:30:00Z","runId":"run-1"}`, id, id)
}

// putAll puts the records on the stream, in order, and returns their
// shard and sequence numbers.
func putAll(t *testing.T, tb *ops.Table, data ...string) (string, []string) {
	t.Helper()
	var shard string
	var seqs []string
	for i, d := range data {
		out, err := tb.Kinesis.PutRecord(t.Context(), &kinesis.PutRecordInput{StreamName: &tb.Stream, Data: []byte(d), PartitionKey: aws.String(fmt.Sprint("k", i))})
		if err != nil {
			t.Fatal(err)
		}
		shard, seqs = aws.ToString(out.ShardId), append(seqs, aws.ToString(out.SequenceNumber))
	}
	return shard, seqs
}

// failed sends the on-failure message Lambda sends for a batch of size
// records from start to end, as AWS documents it.
func failed(t *testing.T, tb *ops.Table, shard, start, end string, size int) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"requestContext":  map[string]any{"requestId": "c9b8fa9f-5a7f-4a1c-af9c-0c604cde93a5", "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:processor", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 2},
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"version":         "1.0", "timestamp": "2026-11-26T09:31:00.000Z",
		"KinesisBatchInfo": map[string]any{"shardId": shard, "startSequenceNumber": start, "endSequenceNumber": end,
			"approximateArrivalOfFirstRecord": "2026-11-26T09:30:00.000Z", "approximateArrivalOfLastRecord": "2026-11-26T09:30:01.000Z",
			"batchSize": size, "streamArn": "arn:aws:kinesis:us-east-1:000000000000:stream/" + tb.Stream},
	})
	send(t, tb, string(body))
}

func send(t *testing.T, tb *ops.Table, body string) {
	t.Helper()
	q, err := tb.SQS.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: &tb.Queue})
	if err == nil {
		_, err = tb.SQS.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: &body})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// waiting counts the messages a receive finds in the queue now (and makes
// them visible again).
func waiting(t *testing.T, tb *ops.Table) int {
	t.Helper()
	q, _ := tb.SQS.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: &tb.Queue})
	got, err := tb.SQS.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got.Messages {
		_, _ = tb.SQS.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle})
	}
	return len(got.Messages)
}

// rawEntries reads the error table as stored, each entry held to
// error-record.v1.
func rawEntries(t *testing.T, tb *ops.Table) map[string]ops.Entry {
	t.Helper()
	page, err := tb.DynamoDB.Scan(t.Context(), &dynamodb.ScanInput{TableName: &tb.Errors, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]ops.Entry{}
	for _, item := range page.Items {
		var doc map[string]any
		var e ops.Entry
		if err := attributevalue.UnmarshalMap(item, &doc); err != nil || attributevalue.UnmarshalMap(item, &e) != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(doc)
		if err := contracts.Validate(contracts.ErrorRecordV1, b); err != nil && e.Schema != "" {
			t.Errorf("%s is not an error-record.v1: %v", e.ErrorID, err)
		}
		out[e.ErrorID] = e
	}
	return out
}

// A failed batch's records, and only they, are read back from the stream
// and parked with the batch info; the message goes; a rerun finds nothing;
// redrive puts them back on the stream as any parked record. A dry run
// before changes nothing and leaves the message visible.
func TestFailedBatchParkedThenRedriven(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000001"), film("tt0000002"), "\xff not JSON", film("tt0000004"), film("tt0000005"))
	failed(t, tb, shard, seqs[1], seqs[3], 3)

	dry, err := tb.DrainFailedBatches(t.Context(), true)
	if err != nil || len(dry) != 1 || !dry[0].Ready || dry[0].Parked != 3 || dry[0].Deleted {
		t.Fatalf("dry run %+v %v", dry, err)
	}
	if n := len(rawEntries(t, tb)); n != 0 || waiting(t, tb) != 1 {
		t.Fatalf("a dry run parked %d or took the message", n)
	}
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 1 || !out[0].Deleted || out[0].Parked != 3 || out[0].Lost != 0 {
		t.Fatalf("drain %+v %v", out, err)
	}
	got := rawEntries(t, tb)
	for i, seq := range seqs {
		e, parked := got["process#"+shard+"#"+seq]
		if parked != (i >= 1 && i <= 3) {
			t.Fatalf("record %d parked: %v, want only records 1 to 3: %v", i, parked, got)
		}
		if parked && (e.Reason != ops.ReasonExhaustedRetries || e.KinesisBatchInfo == nil || e.KinesisBatchInfo.StartSequenceNumber != seqs[1] || e.SequenceNumber != seq) {
			t.Errorf("entry %+v", e)
		}
	}
	if e := got["process#"+shard+"#"+seqs[2]]; e.PayloadEncoding != "base64" || e.MovieID != "" {
		t.Errorf("the undecodable record is kept as %s with movie %q", e.PayloadEncoding, e.MovieID)
	}
	if again, err := tb.DrainFailedBatches(t.Context(), false); err != nil || len(again) != 0 || waiting(t, tb) != 0 {
		t.Fatalf("a rerun found %+v %v", again, err)
	}
	redriven, err := tb.Redrive(t.Context(), ops.Filter{Reason: ops.ReasonExhaustedRetries}, false)
	done := map[string]bool{}
	for _, o := range redriven {
		done[o.ErrorID] = o.Done
	}
	if err != nil || len(done) != 3 || !done["process#"+shard+"#"+seqs[1]] || !done["process#"+shard+"#"+seqs[3]] {
		t.Fatalf("redrive %+v %v: want the two films redriven, the undecodable one kept", redriven, err)
	}
	back := map[string]string{}
	for _, r := range streamRecords(t, tb)[5:] {
		back[aws.ToString(r.PartitionKey)] = string(r.Data)
	}
	if len(back) != 2 || back["tt0000002"] != film("tt0000002") || back["tt0000004"] != film("tt0000004") {
		t.Fatalf("redriven to the stream: %v", back)
	}
}

func streamRecords(t *testing.T, tb *ops.Table) []ktypes.Record {
	t.Helper()
	shards, _ := tb.Kinesis.ListShards(t.Context(), &kinesis.ListShardsInput{StreamName: &tb.Stream})
	it, _ := tb.Kinesis.GetShardIterator(t.Context(), &kinesis.GetShardIteratorInput{StreamName: &tb.Stream, ShardId: shards.Shards[0].ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	recs, err := tb.Kinesis.GetRecords(t.Context(), &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	return recs.Records
}

// A record the processor parked itself keeps its entry and reason; a rerun
// after a crash between parking and deleting the message (here: the same
// message twice) parks nothing twice.
func TestFailedBatchKeepsTheProcessorsEntries(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000001"), `{"id":"tt1"}`)
	own := ops.Entry{ErrorID: "process#" + shard + "#" + seqs[1], Stage: "process", Reason: "invalid_record", Message: "title",
		Payload: `{"id":"tt1"}`, PayloadEncoding: "utf8", PayloadBytes: 12, OccurredAt: "2026-11-26T09:31:00Z"}
	item, _ := attributevalue.MarshalMap(own)
	if _, err := tb.DynamoDB.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &tb.Errors, Item: item}); err != nil {
		t.Fatal(err)
	}
	failed(t, tb, shard, seqs[0], seqs[1], 2)
	failed(t, tb, shard, seqs[0], seqs[1], 2)
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 2 || !out[0].Deleted || !out[1].Deleted {
		t.Fatalf("drain %+v %v", out, err)
	}
	got := rawEntries(t, tb)
	if len(got) != 2 || got[own.ErrorID].Reason != "invalid_record" || got["process#"+shard+"#"+seqs[0]].Reason != ops.ReasonExhaustedRetries {
		t.Fatalf("entries %+v", got)
	}
}

// Records the stream no longer has (a shard gone, or fewer records left
// than the batch held) are one records_expired entry with the batch info,
// counted as lost; the message goes; redrive keeps the entry and says why.
func TestFailedBatchWhoseRecordsLeftTheStream(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000001"), film("tt0000002"))
	failed(t, tb, "shardId-000000000009", "49600000000000000000000000000000000000000000000000000002", "49600000000000000000000000000000000000000000000000000090", 4)
	failed(t, tb, shard, seqs[0], seqs[1], 5)
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 2 {
		t.Fatalf("drain %+v %v", out, err)
	}
	if o := out[0]; !o.Deleted || o.Parked != 0 || o.Lost != 4 || !strings.Contains(o.Why, "LOST") {
		t.Errorf("a shard gone: %+v", o)
	}
	if o := out[1]; !o.Deleted || o.Parked != 2 || o.Lost != 3 {
		t.Errorf("three records gone: %+v", o)
	}
	got := rawEntries(t, tb)
	gone := got["process#shardId-000000000009#expired#49600000000000000000000000000000000000000000000000000002"]
	if len(got) != 4 || gone.Reason != ops.ReasonRecordsExpired || gone.KinesisBatchInfo == nil || gone.KinesisBatchInfo.BatchSize != 4 || gone.Payload != "" {
		t.Fatalf("entries %+v", got)
	}
	kept, err := tb.Redrive(t.Context(), ops.Filter{Reason: ops.ReasonRecordsExpired}, false)
	if err != nil || len(kept) != 2 || kept[0].Done || !strings.Contains(kept[0].Why, "left the stream") {
		t.Fatalf("redrive %+v %v", kept, err)
	}
}

// A message that names no batch of this stream stays in the queue, visible
// again at once, with the reason.
func TestFailedBatchMessagesThatStay(t *testing.T) {
	tb := emptyTable(t)
	shard, seqs := putAll(t, tb, film("tt0000001"))
	send(t, tb, `{"not":"an invocation record"}`)
	body := fmt.Sprintf(`{"requestContext":{"condition":"RecordAgeExceeded"},"KinesisBatchInfo":{"shardId":%q,"startSequenceNumber":%q,"endSequenceNumber":%q,"batchSize":1,"streamArn":"arn:aws:kinesis:us-east-1:000000000000:stream/other"}}`,
		shard, seqs[0], seqs[0])
	send(t, tb, body)
	send(t, tb, strings.Replace(body, seqs[0]+`","batchSize`, `1","batchSize`, 1))
	out, err := tb.DrainFailedBatches(t.Context(), false)
	if err != nil || len(out) != 3 {
		t.Fatalf("drain %+v %v", out, err)
	}
	for i, want := range []string{"not a Kinesis on-failure record", "not of " + tb.Stream, "is not one"} {
		if out[i].Deleted || !strings.Contains(out[i].Why, want) {
			t.Errorf("message %d: %+v, want it kept: %q", i, out[i], want)
		}
	}
	if n := waiting(t, tb); n != 3 || len(rawEntries(t, tb)) != 0 {
		t.Fatalf("%d messages visible, want the 3 kept, and nothing parked", n)
	}
}
