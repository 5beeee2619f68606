package iam

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsxml "github.com/aws/aws-sdk-go-v2/aws/protocol/xml"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kin "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

const principal = "arn:aws:sts::123456789012:assumed-role/moviepipe-processor-dev-us-east-1-lambdaRole/moviepipe-processor-dev"

func TestDeniedReadsAsAWSsAnswerToTheSDK(t *testing.T) {
	for _, explicit := range []bool{false, true} {
		c, last := server(t, func(w http.ResponseWriter, c Call, err error) {
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotImplemented)
				return
			}
			Denied(w, c, principal, c.Permissions[0], explicit)
		})
		for _, tc := range []struct {
			name             string
			do               sdkCall
			action, resource string
			code             string
			status           int
		}{
			{"DynamoDB", func(ctx context.Context, c clients) error {
				_, err := c.dynamodb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("movies-dev"), Item: key})
				return err
			}, "dynamodb:PutItem", movies, "AccessDeniedException", http.StatusBadRequest},
			{"Kinesis", func(ctx context.Context, c clients) error {
				_, err := c.kinesis.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("movies-dev"),
					Records: []kin.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k")}}})
				return err
			}, "kinesis:PutRecords", stream, "AccessDeniedException", http.StatusBadRequest},
			{"SQS", func(ctx context.Context, c clients) error {
				_, err := c.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &c.queueURL, MessageBody: aws.String("m")})
				return err
			}, "sqs:sendmessage", queue, "AccessDenied", http.StatusForbidden},
			{"Lambda", func(ctx context.Context, c clients) error {
				_, err := c.lambda.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("moviepipe-scraper-dev")})
				return err
			}, "lambda:InvokeFunction", fn, "AccessDeniedException", http.StatusForbidden},
		} {
			t.Run(tc.name+map[bool]string{false: " implicit", true: " explicit"}[explicit], func(t *testing.T) {
				err := tc.do(t.Context(), c)
				if got := last(t); got.err != nil {
					t.Fatalf("Identify: %v", got.err)
				}
				var api smithy.APIError
				if !errors.As(err, &api) {
					t.Fatalf("err = %v, not an API error", err)
				}
				want := deniedMessage(tc.action, tc.resource, explicit)
				if api.ErrorCode() != tc.code || api.ErrorMessage() != want {
					t.Errorf("SDK reports %s: %q\nwant        %s: %q", api.ErrorCode(), api.ErrorMessage(), tc.code, want)
				}
				if api.ErrorFault() == smithy.FaultServer {
					t.Errorf("fault %v: the SDK would take a denial for the server's fault", api.ErrorFault())
				}
				var resp *awshttp.ResponseError
				if !errors.As(err, &resp) || resp.HTTPStatusCode() != tc.status || resp.ServiceRequestID() == "" {
					t.Errorf("response %v, want status %d and a request id", resp, tc.status)
				}
			})
		}
	}
}

func deniedMessage(action, resource string, explicit bool) string {
	m := "User: " + principal + " is not authorized to perform: " + action + " on resource: " + resource
	if explicit {
		return m + " with an explicit deny in an identity-based policy"
	}
	return m + " because no identity-based policy allows the " + action + " action"
}

// No SDK for Go v2 client speaks SQS's query protocol any more; the SDK's
// own reader of query errors reads the answer.
func TestDeniedQueryProtocolAnswerIsAnErrorResponse(t *testing.T) {
	w := httptest.NewRecorder()
	c := Call{Service: "sqs", Operation: "SendMessage", Protocol: Query, Permissions: perms("sqs:SendMessage", queue)}
	Denied(w, c, principal, c.Permissions[0], false)
	if w.Code != http.StatusForbidden || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/xml") {
		t.Errorf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	got, err := awsxml.GetErrorResponseComponents(strings.NewReader(body), false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != "AccessDenied" || got.Message != deniedMessage("sqs:sendmessage", queue, false) || got.RequestID == "" {
		t.Errorf("read %+v from %s", got, body)
	}
	if !strings.Contains(body, "<Type>Sender</Type>") || !strings.HasPrefix(body, `<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">`) {
		t.Errorf("body %s", body)
	}
}

func TestDeniedEscapesTheMessage(t *testing.T) {
	w := httptest.NewRecorder()
	c := Call{Service: "sqs", Protocol: Query}
	Denied(w, c, `arn:aws:sts::1:assumed-role/<r>/"s"&`, Permission{"sqs:SendMessage", queue}, true)
	got, err := awsxml.GetErrorResponseComponents(w.Body, false)
	if err != nil || !strings.HasPrefix(got.Message, `User: arn:aws:sts::1:assumed-role/<r>/"s"& is not`) {
		t.Errorf("read %+v, %v", got, err)
	}
}
