package sqslocal_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
)

// The SDK's own SQS client works against the local SQS.
func TestSDKClient(t *testing.T) {
	srv := sqslocal.New("us-east-1", "000000000000")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	srv.BaseURL = hs.URL
	c := sqs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *sqs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	ctx := context.Background()
	created, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("failures")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Send("arn:aws:sqs:us-east-1:000000000000:failures", `{"b":2}`); err != nil {
		t.Fatal(err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "2" || attrs.Attributes["QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:failures" {
		t.Fatalf("%v %v", attrs, err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl, MaxNumberOfMessages: 10})
	if err != nil || len(got.Messages) != 2 || aws.ToString(got.Messages[0].Body) != `{"a":1}` {
		t.Fatalf("%+v %v", got, err)
	}
	// Received messages are invisible until deleted or timed out.
	if again, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: created.QueueUrl}); len(again.Messages) != 0 {
		t.Fatal("a received message was received again at once")
	}
	for _, m := range got.Messages {
		if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: created.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	if srv.Depth("failures") != 0 {
		t.Fatal("messages left after delete")
	}
	if _, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")}); err == nil {
		t.Fatal("an unknown queue was found")
	}
}

// A message in flight is made visible again at once with
// ChangeMessageVisibility 0; a receipt handle of no message in flight and a
// timeout beyond 12 hours are refused.
func TestChangeMessageVisibility(t *testing.T) {
	srv := sqslocal.New("us-east-1", "000000000000")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	srv.BaseURL = hs.URL
	c := sqs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *sqs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	ctx := context.Background()
	q, _ := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("failures")})
	_, _ = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("m")})
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(got.Messages) != 1 {
		t.Fatal(got, err)
	}
	receipt := got.Messages[0].ReceiptHandle
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: receipt, VisibilityTimeout: 43201}); err == nil {
		t.Fatal("a visibility timeout beyond 12 hours was accepted")
	}
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: receipt, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(again.Messages) != 1 {
		t.Fatalf("the message is not visible again: %+v %v", again, err)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: aws.String("nope"), VisibilityTimeout: 0})
	if err == nil || !strings.Contains(err.Error(), "MessageNotInflight") {
		t.Fatalf("an unknown receipt handle: %v", err)
	}
}
