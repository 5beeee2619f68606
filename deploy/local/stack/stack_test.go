package stack_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
)

// What the local cloud cannot honour fails with the property's name, before
// anything is made.
func TestUnsupportedPropertiesAreNamed(t *testing.T) {
	tests := map[string]struct {
		res  cfn.Resource
		want string
	}{
		"queue":  {cfn.Resource{Type: "AWS::SQS::Queue", Properties: map[string]any{"QueueName": "q", "FifoQueue": true}}, "Properties.FifoQueue: not supported"},
		"stream": {cfn.Resource{Type: "AWS::Kinesis::Stream", Properties: map[string]any{"Name": "s", "ShardCount": 1, "Shards": 2}}, "Properties.Shards: not supported"},
		"table":  {cfn.Resource{Type: "AWS::DynamoDB::Table", Properties: map[string]any{"TableName": "t", "LocalSecondaryIndexes": []any{}}}, "Properties.LocalSecondaryIndexes: not supported"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			made, _, err := stack.Create(t.Context(), stack.Clients{SQS: sqslocal.New("us-east-1", "0")}, &tt.res)
			if !made || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("made %v, err %v; want %q", made, err, tt.want)
			}
		})
	}
}

// A queue is made on the local SQS, and its Ref becomes the local URL;
// accepted properties come back as notes; other types are not data.
func TestQueue(t *testing.T) {
	q := sqslocal.New("us-east-1", "000000000000")
	q.BaseURL = "http://127.0.0.1:9"
	r := &cfn.Resource{ID: "Q", Type: "AWS::SQS::Queue", Properties: map[string]any{"QueueName": "failures", "MessageRetentionPeriod": 1209600.0, "SqsManagedSseEnabled": true},
		Attrs: map[string]string{"QueueName": "failures"}}
	made, notes, err := stack.Create(t.Context(), stack.Clients{SQS: q}, r)
	if !made || err != nil {
		t.Fatal(made, err)
	}
	if r.Ref != "http://127.0.0.1:9/000000000000/failures" || r.Attrs["QueueUrl"] != r.Ref {
		t.Fatalf("queue %+v", r)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "SqsManagedSseEnabled accepted, no local effect") {
		t.Fatalf("notes %v", notes)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"QueueUrl":"`+r.Ref+`"}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueAttributes")
	q.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), `"MessageRetentionPeriod":"1209600"`) {
		t.Errorf("the queue's attributes: %s", rec.Body)
	}
	if made, _, err := stack.Create(t.Context(), stack.Clients{}, &cfn.Resource{Type: "AWS::SNS::Topic"}); made || err != nil {
		t.Fatalf("a topic: made %v, err %v", made, err)
	}
}

// A table whose template turns deletion protection on is not deleted, with
// DynamoDB's words, and DynamoDB is not called (the emulator has no such
// protection); a queue is deleted with its messages.
func TestDelete(t *testing.T) {
	protected := &cfn.Resource{ID: "MoviesTable", Type: "AWS::DynamoDB::Table", Ref: "movies", Properties: map[string]any{"DeletionProtectionEnabled": true}}
	err := stack.Delete(context.Background(), stack.Clients{}, protected)
	if err == nil || err.Error() != "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first." {
		t.Errorf("protected table: %v", err)
	}
	sqs := sqslocal.New("us-east-1", "000000000000")
	sqs.CreateQueue("q", nil)
	q := &cfn.Resource{ID: "Q", Type: "AWS::SQS::Queue", Attrs: map[string]string{"QueueName": "q"}}
	if err := stack.Delete(context.Background(), stack.Clients{SQS: sqs}, q); err != nil || sqs.Depth("q") != 0 {
		t.Errorf("queue: %v", err)
	}
	if err := sqs.Send("arn:aws:sqs:us-east-1:000000000000:q", "m"); err == nil {
		t.Error("the deleted queue still takes messages")
	}
}
