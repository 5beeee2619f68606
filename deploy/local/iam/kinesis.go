package iam

import "fmt"

// kinesisStreamOps are the Kinesis operations on one stream, each
// authorized by the action of its own name on the stream
// ("Actions, resources, and condition keys for Amazon Kinesis Data
// Streams": resource type stream*).
var kinesisStreamOps = map[string]bool{
	"PutRecord": true, "PutRecords": true, "GetRecords": true, "GetShardIterator": true,
	"DescribeStream": true, "DescribeStreamSummary": true, "ListShards": true,
}

func identifyKinesis(op string, body []byte, at arns) (Call, error) {
	if !kinesisStreamOps[op] {
		return Call{}, fmt.Errorf("kinesis %q: %w", op, ErrNotEmulated)
	}
	f, err := decode(op, body)
	if err != nil {
		return Call{}, err
	}
	call := one("kinesis", op, JSON11, "kinesis:"+op, at.stream(f))
	if call.Permissions[0].Resource != "" {
		return call, nil
	}
	// GetRecords names its shard by an iterator and may add StreamARN; a
	// ListShards page after the first carries only NextToken. Either way
	// the token belongs to one stream, the one IAM authorizes.
	switch op {
	case "GetRecords":
		call.StreamToken = f.str("ShardIterator")
	case "ListShards":
		call.StreamToken = f.str("NextToken")
	}
	if call.StreamToken == "" {
		return Call{}, fmt.Errorf("kinesis %s: names no stream: %w", op, ErrMalformed)
	}
	return call, nil
}

// stream is the ARN of the stream a request names: its StreamARN, else its
// StreamName in the request's region and account.
func (a arns) stream(f fields) string {
	if arn := f.str("StreamARN"); arn != "" {
		return arn
	}
	if name := f.str("StreamName"); name != "" {
		return a.arn("kinesis", "stream/"+name)
	}
	return ""
}
