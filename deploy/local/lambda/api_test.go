package lambda_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// padded is a JSON event of exactly n bytes that asks the test function to
// reply {"ok":true}.
func padded(n int) []byte {
	head := `{"reply":{"ok":true},"pad":"`
	return []byte(head + strings.Repeat("x", n-len(head)-2) + `"}`)
}

func apiErrorOf(t *testing.T, err error) smithy.APIError {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%v: not an API error", err)
	}
	return ae
}

// The Invoke API's payload limits as documented today: a synchronous
// request up to 6 MB (6291456 bytes), an asynchronous one up to 1 MB
// (1048576 bytes), each refused beyond with 413
// RequestEntityTooLargeException and Lambda's message.
func TestInvokeAPIRequestLimits(t *testing.T) {
	h, _, _ := newHost(t, nil)
	_, client := invokeAPI(t, h)
	for _, tc := range []struct {
		typ  types.InvocationType
		size int
		want string // "" for accepted
	}{
		{types.InvocationTypeRequestResponse, lambda.MaxSyncPayload, ""},
		{types.InvocationTypeRequestResponse, lambda.MaxSyncPayload + 1, "Request must be smaller than 6291456 bytes for the InvokeFunction operation"},
		{types.InvocationTypeEvent, lambda.MaxAsyncPayload, ""},
		{types.InvocationTypeEvent, lambda.MaxAsyncPayload + 1, "1048577 byte payload is too large for the Event invocation type (limit 1048576 bytes)"},
	} {
		out, err := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), InvocationType: tc.typ, Payload: padded(tc.size)})
		if tc.want == "" {
			if err != nil || out.FunctionError != nil {
				t.Errorf("%s of %d bytes: %v %+v", tc.typ, tc.size, err, out)
			}
			continue
		}
		ae := apiErrorOf(t, err)
		var re *awshttp.ResponseError
		if ae.ErrorCode() != "RequestEntityTooLargeException" || ae.ErrorMessage() != tc.want || !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusRequestEntityTooLarge {
			t.Errorf("%s of %d bytes: %v", tc.typ, tc.size, err)
		}
	}
}

// The host refuses a request over 6 MB, whichever way it comes (the
// gateway's, a mapping's), before anything runs.
func TestHostRefusesRequestsOverTheLimit(t *testing.T) {
	h, _, segs := newHost(t, nil)
	_, err := h.Invoke(t.Context(), padded(lambda.MaxSyncPayload+1), "", true)
	var tl *lambda.RequestTooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, lambda.ErrRequestTooLarge) || tl.Size != lambda.MaxSyncPayload+1 ||
		err.Error() != "Request must be smaller than 6291456 bytes for the InvokeFunction operation" {
		t.Errorf("%v", err)
	}
	if len(h.PIDs()) != 0 || len(*segs) != 0 || h.Busy() != 0 {
		t.Errorf("a refused request ran: %v, %d segments", h.PIDs(), len(*segs))
	}
}

// A response over 6 MB and 100 bytes fails the invocation with
// Function.ResponseSizeTooLarge (X-Amz-Function-Error Unhandled); the
// runtime, refused with 413, exits, which Lambda logs as a crash.
func TestInvokeAPIResponseLimit(t *testing.T) {
	h, logs, _ := newHost(t, nil)
	_, client := invokeAPI(t, h)
	call := func(body int) *awslambda.InvokeOutput {
		// The function replies with a JSON string: its quotes are 2 bytes.
		out, err := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"),
			Payload: fmt.Appendf(nil, `{"bigReply": %d}`, body-2)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := call(lambda.MaxResponse); out.FunctionError != nil || len(out.Payload) != lambda.MaxResponse {
		t.Errorf("a response of 6291556 bytes: %v, %d bytes", out.FunctionError, len(out.Payload))
	}
	out := call(lambda.MaxResponse + 1)
	want := `{"errorMessage":"Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`
	if aws.ToString(out.FunctionError) != "Unhandled" || string(out.Payload) != want {
		t.Errorf("a response of 6291557 bytes: %v %.300s", out.FunctionError, out.Payload)
	}
	id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	waitForLog(t, logs, "[fn-test] RequestId: "+id+" Error: Runtime exited with error: exit status 1\n[fn-test] Runtime.ExitError\n")
}

// A throttled synchronous invocation is answered 429
// TooManyRequestsException with the limit it hit as Reason, as the SDK
// reads it: the function's reserved concurrency, or the account's.
func TestInvokeAPIThrottles(t *testing.T) {
	reserved, _, _ := newHost(t, func(c *lambda.Config) { c.Name, c.MaxEnvs = "reserved-fn", 1 })
	account := lambda.NewAccount(1)
	shared, _, _ := newHost(t, func(c *lambda.Config) { c.Name, c.MaxEnvs, c.Account = "shared-fn", 0, account })
	other, _, _ := newHost(t, func(c *lambda.Config) { c.Name, c.MaxEnvs, c.Account = "other-fn", 0, account })
	_, client := invokeAPI(t, reserved, shared, other)
	hold(t, reserved, 1)
	hold(t, shared, 1)
	for fn, reason := range map[string]types.ThrottleReason{
		"reserved-fn": types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded,
		"other-fn":    types.ThrottleReasonConcurrentInvocationLimitExceeded,
	} {
		_, err := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{}`)})
		var tm *types.TooManyRequestsException
		if !errors.As(err, &tm) || tm.Reason != reason || aws.ToString(tm.Type) != "User" || tm.ErrorMessage() != "Rate Exceeded." {
			t.Errorf("%s: %v, want 429 TooManyRequestsException %s", fn, err, reason)
		}
	}
}

// DryRun answers 204 and runs nothing: no environment starts.
func TestInvokeAPIDryRun(t *testing.T) {
	h, _, segs := newHost(t, nil)
	_, client := invokeAPI(t, h)
	out, err := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != http.StatusNoContent || len(out.Payload) != 0 {
		t.Fatalf("%v %+v", err, out)
	}
	if len(h.PIDs()) != 0 || len(*segs) != 0 {
		t.Errorf("a dry run ran the function: %v, %d segments", h.PIDs(), len(*segs))
	}
	_, err = client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("nope"), InvocationType: types.InvocationTypeDryRun})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("a dry run of an unknown function: %v", err)
	}
}

// LogType Tail returns the last 4 KB of the invocation's log, base64, from
// START to REPORT; the client context reaches the function as
// lambdacontext.ClientContext; one that is not base64 JSON is refused.
func TestInvokeAPITailAndClientContext(t *testing.T) {
	h, _, _ := newHost(t, nil)
	_, client := invokeAPI(t, h)
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom": {"greeting": "hello"}}`))
	out, err := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), LogType: types.LogTypeTail,
		ClientContext: aws.String(cc), Payload: []byte(`{"log": "a line of the function"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var r reply
	_ = json.Unmarshal(out.Payload, &r)
	if r.Custom["greeting"] != "hello" {
		t.Errorf("client context: %s", out.Payload)
	}
	id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	want := "START RequestId: " + id + " Version: $LATEST\na line of the function\nEND RequestId: " + id + "\nREPORT RequestId: " + id + "\tDuration: "
	if id != r.RequestID || !strings.HasPrefix(string(tail), want) || !strings.HasSuffix(string(tail), "\t\n") {
		t.Errorf("tail of %s:\n%s", id, tail)
	}

	out, err = client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), LogType: types.LogTypeTail,
		Payload: fmt.Appendf(nil, `{"log": "%s"}`, strings.Repeat("y", 10000))})
	tail, _ = base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil || len(tail) != 4096 || !strings.HasPrefix(string(tail), "yyyy") || !strings.Contains(string(tail), "\nREPORT RequestId: ") {
		t.Errorf("a long log: %v, %d bytes:\n%.200s", err, len(tail), tail)
	}
	if out, _ := client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), Payload: []byte(`{}`)}); out.LogResult != nil {
		t.Errorf("a tail without LogType Tail: %q", *out.LogResult)
	}

	_, err = client.Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), ClientContext: aws.String("not base64 JSON")})
	if ae := apiErrorOf(t, err); ae.ErrorCode() != "InvalidRequestContentException" || ae.ErrorMessage() != "Client context must be a valid Base64-encoded JSON object." {
		t.Errorf("a bad client context: %v", err)
	}
}
