package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Identify's errors, to act on with errors.Is.
var (
	// ErrNotEmulated is a request for a service or operation this package
	// does not know: the front door refuses it rather than guess.
	ErrNotEmulated = errors.New("not emulated")
	// ErrMalformed is a request of a known operation that does not say
	// what it acts on (no table name, a body that is not JSON).
	ErrMalformed = errors.New("malformed request")
)

// Protocol is the wire protocol of a request, which decides the shape of
// its error answers.
type Protocol string

// The protocols of the services Identify knows.
const (
	JSON10   Protocol = "awsJson1_0" // DynamoDB; SQS as the current SDKs speak it
	JSON11   Protocol = "awsJson1_1" // Kinesis, Secrets Manager
	Query    Protocol = "awsQuery"   // SQS as older SDKs and CLIs speak it
	RESTJSON Protocol = "restJson1"  // Lambda
)

// Permission is one action on one resource that IAM authorizes.
type Permission struct {
	Action   string // "dynamodb:PutItem"
	Resource string // an ARN, or "*"
}

// Call is what one AWS API request asks IAM for: the permissions it needs,
// every one allowed (each table a BatchWriteItem touches; each item of a
// TransactWriteItems, authorized by the action of its kind, as DynamoDB
// does).
type Call struct {
	Service     string // IAM's service prefix: "dynamodb", "kinesis", "sqs", "lambda", "secretsmanager"
	Operation   string // the API operation: "PutItem", "Invoke"
	Protocol    Protocol
	Permissions []Permission
	// StreamToken is set when a Kinesis request names its stream only by an
	// opaque token: GetRecords' ShardIterator without StreamARN, ListShards'
	// NextToken without StreamName or StreamARN. IAM authorizes such a call
	// on the stream the token belongs to, which the request does not say;
	// the Permissions' Resource is then empty (Evaluate never allows it)
	// until the caller, who saw the answer that issued the token, calls
	// ResolveStream.
	StreamToken string
}

// ResolveStream names the stream of a call that named it only by its
// StreamToken.
func (c *Call) ResolveStream(streamARN string) {
	for i := range c.Permissions {
		if c.Permissions[i].Resource == "" {
			c.Permissions[i].Resource = streamARN
		}
	}
}

// Identify works out the Call of an SDK request to DynamoDB, Kinesis, SQS,
// Lambda or Secrets Manager in region and account, reading only what the request carries: the
// X-Amz-Target header, the URL, the form or JSON body (body is the request's
// body, already read; r.Body is not touched).
//
// An unknown service or operation is ErrNotEmulated; a known operation whose
// request does not say what it acts on is ErrMalformed.
func Identify(r *http.Request, body []byte, region, account string) (Call, error) {
	at := arns{region: region, account: account}
	target := r.Header.Get("X-Amz-Target")
	prefix, op, _ := strings.Cut(target, ".")
	switch {
	case prefix == "DynamoDB_20120810":
		return identifyDynamoDB(op, body, at)
	case prefix == "Kinesis_20131202":
		return identifyKinesis(op, body, at)
	case prefix == "AmazonSQS":
		return identifySQSJSON(op, body, at)
	case prefix == "secretsmanager":
		return identifySecretsManager(op, body, at)
	case target == "" && strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/"):
		return identifyLambda(r, at)
	case target == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return identifySQSQuery(r, body, at)
	case target != "":
		return Call{}, fmt.Errorf("X-Amz-Target %q: %w", target, ErrNotEmulated)
	}
	return Call{}, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, ErrNotEmulated)
}

// arns builds the ARNs of the region and account a request is made in.
type arns struct{ region, account string }

func (a arns) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + a.region + ":" + a.account + ":" + resource
}

// fields is a decoded JSON request body.
type fields map[string]any

func decode(op string, body []byte) (fields, error) {
	var f fields
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("%s: body is not a JSON object: %w", op, ErrMalformed)
	}
	return f, nil
}

func (f fields) str(key string) string {
	s, _ := f[key].(string)
	return s
}

func (f fields) obj(key string) fields {
	m, _ := f[key].(map[string]any)
	return m
}

func (f fields) list(key string) []any {
	l, _ := f[key].([]any)
	return l
}

// one is a call of one permission.
func one(service, op string, proto Protocol, action, resource string) Call {
	return Call{Service: service, Operation: op, Protocol: proto, Permissions: []Permission{{action, resource}}}
}
