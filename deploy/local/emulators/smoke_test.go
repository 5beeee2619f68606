package emulators_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kintypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/emulators"
)

// awsConfig loads the SDK's standard configuration for the emulators make
// test started (endpointVar is set), or for a pair the test starts itself:
// the test never skips.
func awsConfig(t *testing.T, endpointVar string) aws.Config {
	t.Helper()
	if os.Getenv(endpointVar) == "" {
		emu, err := emulators.Start(t.Context(), emulators.Config{Log: t.Output()})
		if err != nil {
			t.Fatalf("%s is not set and the emulators do not start: %v", endpointVar, err)
		}
		t.Cleanup(func() {
			if err := emu.Stop(); err != nil {
				t.Error(err)
			}
		})
		for _, kv := range emu.Env() {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
}

func TestKinesisSmoke(t *testing.T) {
	client := kinesis.NewFromConfig(awsConfig(t, "AWS_ENDPOINT_URL_KINESIS"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stream := uniqueName("smoke")
	if _, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &stream, ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteStream(context.Background(), &kinesis.DeleteStreamInput{StreamName: &stream})
	})
	if err := kinesis.NewStreamExistsWaiter(client, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &stream}, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	put, err := client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &stream, Records: []kintypes.PutRecordsRequestEntry{
		{Data: []byte(`{"n":1}`), PartitionKey: aws.String("a")},
		{Data: []byte(`{"n":2}`), PartitionKey: aws.String("b")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(put.FailedRecordCount) != 0 {
		t.Fatalf("PutRecords failed %d records", aws.ToInt32(put.FailedRecordCount))
	}
	shards, err := client.ListShards(ctx, &kinesis.ListShardsInput{StreamName: &stream})
	if err != nil {
		t.Fatal(err)
	}
	it, err := client.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamName: &stream, ShardId: shards.Shards[0].ShardId, ShardIteratorType: kintypes.ShardIteratorTypeTrimHorizon,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 || string(got.Records[0].Data) != `{"n":1}` || string(got.Records[1].Data) != `{"n":2}` {
		t.Fatalf("read back %d records: %+v", len(got.Records), got.Records)
	}
}

func TestDynamoDBSmoke(t *testing.T) {
	client := dynamodb.NewFromConfig(awsConfig(t, "AWS_ENDPOINT_URL_DYNAMODB"))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	table := uniqueName("smoke")
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &table,
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table})
	})
	// A new table is CREATING for a moment, even on dynalite with
	// --createTableMs 0; as on AWS, wait until it exists.
	if err := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 20 * time.Millisecond }).
		Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	item := map[string]ddbtypes.AttributeValue{
		"pk":    &ddbtypes.AttributeValueMemberS{Value: "tt0111161"},
		"title": &ddbtypes.AttributeValueMemberS{Value: "The Shawshank Redemption"},
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
		t.Fatal(err)
	}
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &table, ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "tt0111161"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	title, ok := got.Item["title"].(*ddbtypes.AttributeValueMemberS)
	if !ok || title.Value != "The Shawshank Redemption" {
		t.Fatalf("read back %+v", got.Item)
	}
}
