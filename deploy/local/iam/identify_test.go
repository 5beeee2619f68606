package iam

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kin "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const (
	queue = "arn:aws:sqs:us-east-1:123456789012:movies-dev-failures"
	fn    = "arn:aws:lambda:us-east-1:123456789012:function:moviepipe-scraper-dev"
)

var key = map[string]ddb.AttributeValue{"id": &ddb.AttributeValueMemberS{Value: "tt0111161"}}

func perms(action string, resources ...string) []Permission {
	out := make([]Permission, 0, len(resources))
	for _, r := range resources {
		out = append(out, Permission{action, r})
	}
	return out
}

// identifyCases are requests of real SDK clients and the calls they are.
var identifyCases = []struct {
	name string
	do   sdkCall
	want Call
}{
	{"GetItem", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("movies-dev"), Key: key})
		return err
	}, Call{"dynamodb", "GetItem", JSON10, perms("dynamodb:GetItem", movies), ""}},
	{"GetItem by table ARN", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(errs), Key: key})
		return err
	}, Call{"dynamodb", "GetItem", JSON10, perms("dynamodb:GetItem", errs), ""}},
	{"PutItem", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies-dev"), Item: key})
		return err
	}, Call{"dynamodb", "PutItem", JSON10, perms("dynamodb:PutItem", movies), ""}},
	{"UpdateItem", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("movies-dev"), Key: key})
		return err
	}, Call{"dynamodb", "UpdateItem", JSON10, perms("dynamodb:UpdateItem", movies), ""}},
	{"DeleteItem", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("movies-dev"), Key: key})
		return err
	}, Call{"dynamodb", "DeleteItem", JSON10, perms("dynamodb:DeleteItem", movies), ""}},
	{"Query of the table", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("movies-dev")})
		return err
	}, Call{"dynamodb", "Query", JSON10, perms("dynamodb:Query", movies), ""}},
	{"Query of an index", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("movies-dev"), IndexName: aws.String("year")})
		return err
	}, Call{"dynamodb", "Query", JSON10, perms("dynamodb:Query", yearIndex), ""}},
	{"Scan of the table", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("movies-dev")})
		return err
	}, Call{"dynamodb", "Scan", JSON10, perms("dynamodb:Scan", movies), ""}},
	{"Scan of an index", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("movies-dev"), IndexName: aws.String("year")})
		return err
	}, Call{"dynamodb", "Scan", JSON10, perms("dynamodb:Scan", yearIndex), ""}},
	{"BatchGetItem", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddb.KeysAndAttributes{
			"movies-dev": {Keys: []map[string]ddb.AttributeValue{key}}, "errors-dev": {Keys: []map[string]ddb.AttributeValue{key}}}})
		return err
	}, Call{"dynamodb", "BatchGetItem", JSON10, perms("dynamodb:BatchGetItem", errs, movies), ""}},
	{"BatchWriteItem", func(ctx context.Context, c clients) error {
		put := []ddb.WriteRequest{{PutRequest: &ddb.PutRequest{Item: key}}}
		_, err := c.dynamodb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddb.WriteRequest{
			"movies-dev": put, "errors-dev": put}})
		return err
	}, Call{"dynamodb", "BatchWriteItem", JSON10, perms("dynamodb:BatchWriteItem", errs, movies), ""}},
	{"TransactWriteItems", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddb.TransactWriteItem{
			{Put: &ddb.Put{TableName: aws.String("movies-dev"), Item: key}},
			{Update: &ddb.Update{TableName: aws.String("movies-dev"), Key: key, UpdateExpression: aws.String("SET a = :a")}},
			{Delete: &ddb.Delete{TableName: aws.String("errors-dev"), Key: key}},
			{ConditionCheck: &ddb.ConditionCheck{TableName: aws.String("errors-dev"), Key: key, ConditionExpression: aws.String("attribute_exists(id)")}},
			{Put: &ddb.Put{TableName: aws.String("movies-dev"), Item: key}},
		}})
		return err
	}, Call{"dynamodb", "TransactWriteItems", JSON10, []Permission{
		{"dynamodb:PutItem", movies}, {"dynamodb:UpdateItem", movies},
		{"dynamodb:DeleteItem", errs}, {"dynamodb:ConditionCheckItem", errs}}, ""}},
	{"TransactGetItems", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []ddb.TransactGetItem{
			{Get: &ddb.Get{TableName: aws.String("movies-dev"), Key: key}}, {Get: &ddb.Get{TableName: aws.String("errors-dev"), Key: key}}}})
		return err
	}, Call{"dynamodb", "TransactGetItems", JSON10, []Permission{{"dynamodb:GetItem", movies}, {"dynamodb:GetItem", errs}}, ""}},
	{"DescribeTable", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("movies-dev")})
		return err
	}, Call{"dynamodb", "DescribeTable", JSON10, perms("dynamodb:DescribeTable", movies), ""}},
	{"ListTables", func(ctx context.Context, c clients) error {
		_, err := c.dynamodb.ListTables(ctx, &dynamodb.ListTablesInput{})
		return err
	}, Call{"dynamodb", "ListTables", JSON10, perms("dynamodb:ListTables", "arn:aws:dynamodb:us-east-1:123456789012:table/*"), ""}},

	{"PutRecord", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: aws.String("movies-dev"), Data: []byte("x"), PartitionKey: aws.String("k")})
		return err
	}, Call{"kinesis", "PutRecord", JSON11, perms("kinesis:PutRecord", stream), ""}},
	{"PutRecords by name", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("movies-dev"),
			Records: []kin.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k")}}})
		return err
	}, Call{"kinesis", "PutRecords", JSON11, perms("kinesis:PutRecords", stream), ""}},
	{"PutRecords by ARN", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamARN: aws.String(stream),
			Records: []kin.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k")}}})
		return err
	}, Call{"kinesis", "PutRecords", JSON11, perms("kinesis:PutRecords", stream), ""}},
	{"GetShardIterator", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("movies-dev"),
			ShardId: aws.String("shardId-000000000000"), ShardIteratorType: kin.ShardIteratorTypeTrimHorizon})
		return err
	}, Call{"kinesis", "GetShardIterator", JSON11, perms("kinesis:GetShardIterator", stream), ""}},
	{"GetRecords by iterator only", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAA-iterator")})
		return err
	}, Call{"kinesis", "GetRecords", JSON11, perms("kinesis:GetRecords", ""), "AAAA-iterator"}},
	{"GetRecords with StreamARN", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: aws.String("AAAA-iterator"), StreamARN: aws.String(stream)})
		return err
	}, Call{"kinesis", "GetRecords", JSON11, perms("kinesis:GetRecords", stream), ""}},
	{"DescribeStream", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("movies-dev")})
		return err
	}, Call{"kinesis", "DescribeStream", JSON11, perms("kinesis:DescribeStream", stream), ""}},
	{"DescribeStreamSummary", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("movies-dev")})
		return err
	}, Call{"kinesis", "DescribeStreamSummary", JSON11, perms("kinesis:DescribeStreamSummary", stream), ""}},
	{"ListShards", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("movies-dev")})
		return err
	}, Call{"kinesis", "ListShards", JSON11, perms("kinesis:ListShards", stream), ""}},
	{"ListShards next page", func(ctx context.Context, c clients) error {
		_, err := c.kinesis.ListShards(ctx, &kinesis.ListShardsInput{NextToken: aws.String("page-2")})
		return err
	}, Call{"kinesis", "ListShards", JSON11, perms("kinesis:ListShards", ""), "page-2"}},

	{"SendMessage", func(ctx context.Context, c clients) error {
		_, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &c.queueURL, MessageBody: aws.String("m")})
		return err
	}, Call{"sqs", "SendMessage", JSON10, perms("sqs:SendMessage", queue), ""}},
	{"SendMessageBatch", func(ctx context.Context, c clients) error {
		_, err := c.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &c.queueURL,
			Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("1"), MessageBody: aws.String("m")}}})
		return err
	}, Call{"sqs", "SendMessageBatch", JSON10, perms("sqs:SendMessage", queue), ""}},
	{"ReceiveMessage", func(ctx context.Context, c clients) error {
		_, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &c.queueURL})
		return err
	}, Call{"sqs", "ReceiveMessage", JSON10, perms("sqs:ReceiveMessage", queue), ""}},
	{"DeleteMessage", func(ctx context.Context, c clients) error {
		_, err := c.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &c.queueURL, ReceiptHandle: aws.String("r")})
		return err
	}, Call{"sqs", "DeleteMessage", JSON10, perms("sqs:DeleteMessage", queue), ""}},
	{"DeleteMessageBatch", func(ctx context.Context, c clients) error {
		_, err := c.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &c.queueURL,
			Entries: []sqstypes.DeleteMessageBatchRequestEntry{{Id: aws.String("1"), ReceiptHandle: aws.String("r")}}})
		return err
	}, Call{"sqs", "DeleteMessageBatch", JSON10, perms("sqs:DeleteMessage", queue), ""}},
	{"ChangeMessageVisibility", func(ctx context.Context, c clients) error {
		_, err := c.sqs.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &c.queueURL, ReceiptHandle: aws.String("r")})
		return err
	}, Call{"sqs", "ChangeMessageVisibility", JSON10, perms("sqs:ChangeMessageVisibility", queue), ""}},
	{"GetQueueAttributes", func(ctx context.Context, c clients) error {
		_, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &c.queueURL})
		return err
	}, Call{"sqs", "GetQueueAttributes", JSON10, perms("sqs:GetQueueAttributes", queue), ""}},
	{"PurgeQueue", func(ctx context.Context, c clients) error {
		_, err := c.sqs.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &c.queueURL})
		return err
	}, Call{"sqs", "PurgeQueue", JSON10, perms("sqs:PurgeQueue", queue), ""}},
	{"GetQueueUrl", func(ctx context.Context, c clients) error {
		_, err := c.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("movies-dev-failures")})
		return err
	}, Call{"sqs", "GetQueueUrl", JSON10, perms("sqs:GetQueueUrl", queue), ""}},
	{"GetQueueUrl of another account", func(ctx context.Context, c clients) error {
		_, err := c.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("q"), QueueOwnerAWSAccountId: aws.String("210987654321")})
		return err
	}, Call{"sqs", "GetQueueUrl", JSON10, perms("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:210987654321:q"), ""}},
	{"CreateQueue", func(ctx context.Context, c clients) error {
		_, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("movies-dev-failures")})
		return err
	}, Call{"sqs", "CreateQueue", JSON10, perms("sqs:CreateQueue", queue), ""}},
	{"ListQueues", func(ctx context.Context, c clients) error {
		_, err := c.sqs.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("movies")})
		return err
	}, Call{"sqs", "ListQueues", JSON10, perms("sqs:ListQueues", "*"), ""}},

	{"Invoke by name", func(ctx context.Context, c clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("moviepipe-scraper-dev")})
		return err
	}, Call{"lambda", "Invoke", RESTJSON, perms("lambda:InvokeFunction", fn), ""}},
	{"Invoke by ARN", func(ctx context.Context, c clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn)})
		return err
	}, Call{"lambda", "Invoke", RESTJSON, perms("lambda:InvokeFunction", fn), ""}},
	{"Invoke by partial ARN", func(ctx context.Context, c clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("210987654321:function:moviepipe-scraper-dev")})
		return err
	}, Call{"lambda", "Invoke", RESTJSON, perms("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:210987654321:function:moviepipe-scraper-dev"), ""}},
	{"Invoke an alias in the name", func(ctx context.Context, c clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn + ":live")})
		return err
	}, Call{"lambda", "Invoke", RESTJSON, perms("lambda:InvokeFunction", fn+":live"), ""}},
	{"Invoke a version by Qualifier", func(ctx context.Context, c clients) error {
		_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("moviepipe-scraper-dev"), Qualifier: aws.String("3")})
		return err
	}, Call{"lambda", "Invoke", RESTJSON, perms("lambda:InvokeFunction", fn+":3"), ""}},
}

func TestIdentifyRequestsOfRealSDKClients(t *testing.T) {
	c, last := server(t, ok)
	for _, tc := range identifyCases {
		t.Run(tc.name, func(t *testing.T) {
			_ = tc.do(t.Context(), c)
			got := last(t)
			if got.err != nil {
				t.Fatalf("Identify: %v", got.err)
			}
			if !reflect.DeepEqual(got.call, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got.call, tc.want)
			}
		})
	}
}

func TestIdentifyRefusesWhatItDoesNotKnow(t *testing.T) {
	c, last := server(t, ok)
	for _, tc := range []struct {
		name string
		do   sdkCall
		want error
	}{
		{"an operation it does not know", func(ctx context.Context, c clients) error {
			_, err := c.dynamodb.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("movies-dev")})
			return err
		}, ErrNotEmulated},
		{"a Kinesis operation it does not know", func(ctx context.Context, c clients) error {
			_, err := c.kinesis.ListStreams(ctx, &kinesis.ListStreamsInput{})
			return err
		}, ErrNotEmulated},
		{"a Lambda operation it does not know", func(ctx context.Context, c clients) error {
			_, err := c.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("f")})
			return err
		}, ErrNotEmulated},
		{"qualifiers that disagree", func(ctx context.Context, c clients) error {
			_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("f:live"), Qualifier: aws.String("3")})
			return err
		}, ErrMalformed},
		{"a batch without items", func(ctx context.Context, c clients) error {
			_, err := c.dynamodb.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddb.WriteRequest{}})
			return err
		}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_ = tc.do(t.Context(), c)
			if got := last(t); !errors.Is(got.err, tc.want) {
				t.Errorf("err = %v, want %v", got.err, tc.want)
			}
		})
	}
}

// No SDK for Go v2 client speaks SQS's query protocol any more; these are
// the requests the AWS CLI v1 and older SDKs send.
func TestIdentifySQSQueryProtocol(t *testing.T) {
	const url = "http://127.0.0.1:4576"
	for _, tc := range []struct {
		name, path, form string
		want             Call
		err              error
	}{
		{"QueueUrl parameter", "/", "Action=SendMessage&Version=2012-11-05&QueueUrl=" + url + "/123456789012/movies-dev-failures&MessageBody=m",
			Call{"sqs", "SendMessage", Query, perms("sqs:SendMessage", queue), ""}, nil},
		{"posted to the queue URL", "/123456789012/movies-dev-failures", "Action=ReceiveMessage&Version=2012-11-05",
			Call{"sqs", "ReceiveMessage", Query, perms("sqs:ReceiveMessage", queue), ""}, nil},
		{"batch", "/", "Action=DeleteMessageBatch&Version=2012-11-05&QueueUrl=" + url + "/123456789012/movies-dev-failures",
			Call{"sqs", "DeleteMessageBatch", Query, perms("sqs:DeleteMessage", queue), ""}, nil},
		{"GetQueueUrl", "/", "Action=GetQueueUrl&Version=2012-11-05&QueueName=movies-dev-failures",
			Call{"sqs", "GetQueueUrl", Query, perms("sqs:GetQueueUrl", queue), ""}, nil},
		{"ListQueues", "/", "Action=ListQueues&Version=2012-11-05",
			Call{"sqs", "ListQueues", Query, perms("sqs:ListQueues", "*"), ""}, nil},
		{"another service's query API", "/", "Action=Publish&Version=2010-03-31&TopicArn=x", Call{}, ErrNotEmulated},
		{"no queue", "/", "Action=SendMessage&Version=2012-11-05", Call{}, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, url+tc.path, strings.NewReader(tc.form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			got, err := Identify(r, []byte(tc.form), region, account)
			if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestResolveStreamNamesTheStreamOfAToken(t *testing.T) {
	c := Call{Service: "kinesis", Operation: "GetRecords", Permissions: perms("kinesis:GetRecords", ""), StreamToken: "it"}
	p := mustParse(t, "p", allow("kinesis:GetRecords", stream))
	if Evaluate([]Policy{p}, c.Permissions[0].Action, c.Permissions[0].Resource).Allowed {
		t.Fatal("allowed before the stream is known")
	}
	c.ResolveStream(stream)
	if !Evaluate([]Policy{p}, c.Permissions[0].Action, c.Permissions[0].Resource).Allowed {
		t.Errorf("not allowed on its stream: %+v", c)
	}
}

func TestIdentifyTellsUnknownFromMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, target, body string
		want               error
	}{
		{"unknown DynamoDB operation, any body", "DynamoDB_20120810.ExecuteStatement", "not json", ErrNotEmulated},
		{"unknown SQS operation, any body", "AmazonSQS.TagQueue", "not json", ErrNotEmulated},
		{"unknown service", "AWSStepFunctions.StartExecution", "{}", ErrNotEmulated},
		{"known operation, body not JSON", "DynamoDB_20120810.PutItem", "not json", ErrMalformed},
		{"known operation, no table", "DynamoDB_20120810.PutItem", `{"Item":{}}`, ErrMalformed},
		{"transaction item without a table", "DynamoDB_20120810.TransactWriteItems", `{"TransactItems":[{"Put":{}}]}`, ErrMalformed},
		{"Kinesis call naming no stream", "Kinesis_20131202.PutRecords", `{"Records":[]}`, ErrMalformed},
		{"SQS call naming no queue", "AmazonSQS.SendMessage", `{"MessageBody":"m"}`, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			r.Header.Set("X-Amz-Target", tc.target)
			if _, err := Identify(r, []byte(tc.body), region, account); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}
