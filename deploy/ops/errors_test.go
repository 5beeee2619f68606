package ops_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/moviepipe/moviepipe/deploy/ops"
)

const valid = `{"schema":"movie-record.v1","id":"tt0111161","title":"The Shawshank Redemption","sourceUrl":"https://example.com/","scrapedAt":"2026-11-26T09:30:00Z","runId":"run-1"}`

func setup(t *testing.T) *ops.Table {
	t.Helper()
	tb := emptyTable(t)
	ctx := t.Context()
	for _, e := range []ops.Entry{
		{ErrorID: "scrape#run-1#tt0111161", Stage: "scrape", Reason: "publish_failed", Message: "throttled", Payload: valid, PayloadEncoding: "utf8", PayloadBytes: len(valid), MovieID: "tt0111161", OccurredAt: "2026-11-26T09:30:00Z"},
		{ErrorID: "process#shardId-000000000000#1", Stage: "process", Reason: "invalid_record", Message: "year", Payload: `{"id":"tt1"}`, PayloadEncoding: "utf8", PayloadBytes: 12, OccurredAt: "2026-11-26T09:31:00Z"},
		{ErrorID: "process#shardId-000000000000#2", Stage: "process", Reason: "oversized", Message: "big", Payload: valid[:40], PayloadEncoding: "utf8", PayloadBytes: 70000, PayloadTruncated: true, OccurredAt: "2026-11-26T09:32:00Z"},
	} {
		item, _ := attributevalue.MarshalMap(e)
		if _, err := tb.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &tb.Errors, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	return tb
}

// emptyTable makes a fresh error table, a stream of one shard and an
// on-failure queue on the emulators.
func emptyTable(t *testing.T) *ops.Table {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" || os.Getenv("AWS_ENDPOINT_URL_KINESIS") == "" || os.Getenv("AWS_ENDPOINT_URL_SQS") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("the emulators' endpoints are not set: run make test")
		}
		t.Skip("the emulators' endpoints are not set: run make test")
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := fmt.Sprint(time.Now().UnixNano())
	tb := &ops.Table{DynamoDB: dynamodb.NewFromConfig(cfg), Kinesis: kinesis.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg),
		Errors: "errors-" + n, Stream: "redrive-" + n, Queue: "failures-" + n}
	ctx := t.Context()
	if _, err := tb.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: &tb.Errors, BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("errorId"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("errorId"), KeyType: types.KeyTypeHash}}}); err != nil {
		t.Fatal(err)
	}
	if err := dynamodb.NewTableExistsWaiter(tb.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &tb.Errors}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &tb.Stream, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if err := kinesis.NewStreamExistsWaiter(tb.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &tb.Stream}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &tb.Queue}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = tb.DynamoDB.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &tb.Errors})
		_, _ = tb.Kinesis.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: &tb.Stream})
	})
	return tb
}

func TestListByReason(t *testing.T) {
	tb := setup(t)
	all, err := tb.List(t.Context(), ops.Filter{})
	if err != nil || len(all) != 3 || all[0].Reason != "publish_failed" {
		t.Fatalf("%v %v", all, err)
	}
	if got, _ := tb.List(t.Context(), ops.Filter{Reason: "oversized"}); len(got) != 1 || !got[0].PayloadTruncated {
		t.Fatalf("by reason: %v", got)
	}
	if got, _ := tb.List(t.Context(), ops.Filter{Stage: "process"}); len(got) != 2 {
		t.Fatalf("by stage: %v", got)
	}
}

func TestRedrive(t *testing.T) {
	tb := setup(t)
	dry, err := tb.Redrive(t.Context(), ops.Filter{}, true)
	if err != nil || len(dry) != 3 {
		t.Fatal(dry, err)
	}
	if left, _ := tb.List(t.Context(), ops.Filter{}); len(left) != 3 {
		t.Fatal("a dry run changed the table")
	}
	outcomes, err := tb.Redrive(t.Context(), ops.Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	for _, o := range outcomes {
		done[o.ErrorID] = o.Done
	}
	if !done["scrape#run-1#tt0111161"] || done["process#shardId-000000000000#1"] || done["process#shardId-000000000000#2"] {
		t.Fatalf("outcomes %+v", outcomes)
	}
	left, _ := tb.List(t.Context(), ops.Filter{})
	if len(left) != 2 {
		t.Fatalf("%d entries left, want the invalid and the truncated one", len(left))
	}
	shards, _ := tb.Kinesis.ListShards(t.Context(), &kinesis.ListShardsInput{StreamName: &tb.Stream})
	it, _ := tb.Kinesis.GetShardIterator(t.Context(), &kinesis.GetShardIteratorInput{StreamName: &tb.Stream, ShardId: shards.Shards[0].ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	recs, err := tb.Kinesis.GetRecords(t.Context(), &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(recs.Records) != 1 || string(recs.Records[0].Data) != valid || aws.ToString(recs.Records[0].PartitionKey) != "tt0111161" {
		t.Fatalf("stream holds %+v, %v", recs, err)
	}
}
