package stack_test

import (
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/sls"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
)

// What the local cloud cannot honour fails with the property's name.
func TestUnsupportedDeclarationsAreNamed(t *testing.T) {
	tests := map[string]struct {
		res  sls.Resource
		want string
	}{
		"unknown type":     {sls.Resource{Type: "AWS::S3::Bucket"}, "resources.Resources.R: type AWS::S3::Bucket is not emulated"},
		"unknown property": {sls.Resource{Type: "AWS::SQS::Queue", Properties: map[string]any{"QueueName": "q", "FifoQueue": true}}, "resources.Resources.R.Properties.FifoQueue: not supported"},
		"stream property":  {sls.Resource{Type: "AWS::Kinesis::Stream", Properties: map[string]any{"Name": "s", "ShardCount": 1, "Shards": 2}}, ".Shards: not supported"},
		"table property":   {sls.Resource{Type: "AWS::DynamoDB::Table", Properties: map[string]any{"TableName": "t", "LocalSecondaryIndexes": []any{}}}, ".LocalSecondaryIndexes: not supported"},
		"unknown import":   {sls.Resource{Type: "AWS::SQS::Queue", Properties: map[string]any{"QueueName": map[string]any{"Fn::ImportValue": "x"}}}, `no export named "x"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := &sls.Service{Resources: map[string]sls.Resource{"R": tt.res}}
			_, err := stack.Create(t.Context(), s, stack.Clients{SQS: sqslocal.New("us-east-1", "0")}, "us-east-1", "0", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestQueueAndOutputs(t *testing.T) {
	q := sqslocal.New("us-east-1", "000000000000")
	s := &sls.Service{
		Resources: map[string]sls.Resource{"Q": {Type: "AWS::SQS::Queue", Properties: map[string]any{"QueueName": "failures", "MessageRetentionPeriod": 1209600}},
			"T": {Type: "AWS::SNS::Topic", Properties: map[string]any{"TopicName": "alarms"}}},
		Outputs: map[string]sls.Output{"QueueArn": {Value: map[string]any{"Fn::GetAtt": []any{"Q", "Arn"}}, Export: "x-QueueArn"},
			"Topic": {Value: map[string]any{"Ref": "T"}, Export: map[string]any{"Fn::Join": []any{"-", []any{"x", "Topic"}}}}},
	}
	c, err := stack.Create(t.Context(), s, stack.Clients{SQS: q}, "us-east-1", "000000000000", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Exports["x-QueueArn"] != "arn:aws:sqs:us-east-1:000000000000:failures" || c.Exports["x-Topic"] != "arn:aws:sns:us-east-1:000000000000:alarms" {
		t.Fatalf("exports %v", c.Exports)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "not emulated") {
		t.Fatalf("notes %v", c.Notes)
	}
}
