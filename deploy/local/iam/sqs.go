package iam

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// sqsQueueActions maps SQS's operations on one queue, named by QueueUrl, to
// the action that authorizes them: its own name, except the batches, which
// the action of their single form authorizes ("Amazon SQS API permissions:
// Actions and resource reference"; AddPermission: "SendMessage ... also
// grants permissions for the corresponding batch versions").
var sqsQueueActions = map[string]string{
	"SendMessage": "SendMessage", "SendMessageBatch": "SendMessage",
	"ReceiveMessage": "ReceiveMessage",
	"DeleteMessage":  "DeleteMessage", "DeleteMessageBatch": "DeleteMessage",
	"ChangeMessageVisibility": "ChangeMessageVisibility", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
	"GetQueueAttributes": "GetQueueAttributes", "SetQueueAttributes": "SetQueueAttributes",
	"PurgeQueue": "PurgeQueue", "DeleteQueue": "DeleteQueue",
}

// sqsVersion is the API version a query-protocol request of SQS carries.
const sqsVersion = "2012-11-05"

// sqsParams reads a parameter of an SQS request, whatever its protocol.
type sqsParams func(key string) string

func identifySQSJSON(op string, body []byte, at arns) (Call, error) {
	if _, ok := sqsQueueActions[op]; !ok && op != "GetQueueUrl" && op != "CreateQueue" && op != "ListQueues" {
		return Call{}, fmt.Errorf("sqs %q: %w", op, ErrNotEmulated)
	}
	f, err := decode(op, body)
	if err != nil {
		return Call{}, err
	}
	return identifySQS(op, JSON10, sqsParams(f.str), "", at)
}

// identifySQSQuery reads the form-encoded query protocol: Action and Version
// in the body or the URL, the queue in QueueUrl or, as older clients send
// it, in the URL the request is posted to.
func identifySQSQuery(r *http.Request, body []byte, at arns) (Call, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return Call{}, fmt.Errorf("query request: body is not a form: %w", ErrMalformed)
	}
	get := func(key string) string {
		if v := form.Get(key); v != "" {
			return v
		}
		return r.URL.Query().Get(key)
	}
	if get("Version") != sqsVersion {
		return Call{}, fmt.Errorf("query request %s of API version %q: %w", get("Action"), get("Version"), ErrNotEmulated)
	}
	return identifySQS(get("Action"), Query, get, r.URL.Path, at)
}

func identifySQS(op string, proto Protocol, param sqsParams, path string, at arns) (Call, error) {
	if action, ok := sqsQueueActions[op]; ok {
		queueURL := param("QueueUrl")
		if queueURL == "" {
			queueURL = path
		}
		queue := at.queue(queueURL)
		if queue == "" {
			return Call{}, fmt.Errorf("sqs %s: no QueueUrl: %w", op, ErrMalformed)
		}
		return one("sqs", op, proto, "sqs:"+action, queue), nil
	}
	switch op {
	case "GetQueueUrl", "CreateQueue":
		name := param("QueueName")
		if name == "" {
			return Call{}, fmt.Errorf("sqs %s: no QueueName: %w", op, ErrMalformed)
		}
		owner := at
		if account := param("QueueOwnerAWSAccountId"); account != "" && op == "GetQueueUrl" {
			owner.account = account
		}
		return one("sqs", op, proto, "sqs:"+op, owner.arn("sqs", name)), nil
	case "ListQueues":
		// ListQueues has no resource type: IAM evaluates it on "*".
		return one("sqs", op, proto, "sqs:ListQueues", "*"), nil
	}
	return Call{}, fmt.Errorf("sqs %q: %w", op, ErrNotEmulated)
}

// queue is the ARN of the queue at a queue URL (.../ACCOUNT/NAME, the path
// alone for a request posted to the queue URL): its name is the URL's last
// path segment, its account the one before when there is one.
func (a arns) queue(queueURL string) string {
	u, err := url.Parse(queueURL)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	name := parts[len(parts)-1]
	if name == "" {
		return ""
	}
	if len(parts) >= 2 && parts[len(parts)-2] != "" {
		a.account = parts[len(parts)-2]
	}
	return a.arn("sqs", name)
}
