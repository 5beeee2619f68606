package sqslocal_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

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
// ChangeMessageVisibility 0. Refused, with the errors SQS answers: a
// timeout that is not a whole number of seconds from 0 to 43200, one that
// would keep the message in flight past 12 hours from its receive
// (InvalidParameterValue), a handle the queue never issued
// (ReceiptHandleIsInvalid), and a handle of a message not in flight or
// received again since (MessageNotInflight).
func TestChangeMessageVisibility(t *testing.T) {
	srv := sqslocal.New("us-east-1", "000000000000")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	srv.BaseURL = hs.URL
	now := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	srv.SetClock(func() time.Time { return now })
	c := sqs.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")},
		func(o *sqs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	ctx := context.Background()
	q, _ := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("failures")})
	_, _ = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("m")})
	receive := func() *string {
		t.Helper()
		got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, VisibilityTimeout: 7200})
		if err != nil || len(got.Messages) != 1 {
			t.Fatalf("receive: %+v %v", got, err)
		}
		return got.Messages[0].ReceiptHandle
	}
	change := func(receipt *string, seconds int32) error {
		_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: q.QueueUrl, ReceiptHandle: receipt, VisibilityTimeout: seconds})
		return err
	}
	first := receive()
	if err := change(first, 43201); !isCode(err, "InvalidParameterValue") {
		t.Fatalf("a visibility timeout beyond 43200 s: %v", err)
	}
	now = now.Add(time.Hour)
	if err := change(first, 11*3600+1); !isCode(err, "InvalidParameterValue") || !strings.Contains(err.Error(), "beyond the limit [43200 seconds]") {
		t.Fatalf("12 h and 1 s after the receive: %v", err)
	}
	if err := change(first, 11*3600); err != nil {
		t.Fatalf("exactly 12 h after the receive: %v", err)
	}
	if err := change(first, 0); err != nil {
		t.Fatal(err)
	}
	if err := change(first, 0); !isCode(err, "MessageNotInflight") {
		t.Fatalf("a message visible again: %v", err)
	}
	second := receive()
	if err := change(first, 0); !isCode(err, "MessageNotInflight") {
		t.Fatalf("the handle of an earlier receive: %v", err)
	}
	if err := change(aws.String("nope"), 0); !isCode(err, "ReceiptHandleIsInvalid") {
		t.Fatalf("a handle the queue never issued: %v", err)
	}
	if err := change(second, 0); err != nil {
		t.Fatalf("the latest handle: %v", err)
	}
}

// isCode says whether err is the SQS error of that code, typed as the
// SDK types it where it does.
func isCode(err error, code string) bool {
	switch code {
	case "MessageNotInflight":
		_, ok := errors.AsType[*sqstypes.MessageNotInflight](err)
		return ok
	case "ReceiptHandleIsInvalid":
		_, ok := errors.AsType[*sqstypes.ReceiptHandleIsInvalid](err)
		return ok
	}
	api, ok := errors.AsType[smithy.APIError](err)
	return ok && api.ErrorCode() == code
}
