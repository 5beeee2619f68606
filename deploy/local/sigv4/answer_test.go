package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

func lambdaClient(url string, id Identity) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:           region,
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(id.AccessKeyID, id.SecretAccessKey, id.SessionToken),
		RetryMaxAttempts: 1,
	})
}

// The Lambda client signs Invoke as it does against AWS: its request passes,
// escaped function ARN, qualifier and session token included.
func TestVerifyAcceptsTheLambdaClient(t *testing.T) {
	tests := []struct {
		name                string
		as                  Identity
		function, qualifier string
	}{
		{"function name and qualifier, long-term key", user, "scraper", "$LATEST"},
		{"function ARN with its qualifier, session token", role, "arn:aws:lambda:us-east-1:000000000000:function:scraper:live", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verifier(signedAt)
			v.Now = nil // the client signs at the wall clock's time
			srv, got := serve(t, v, "lambda", WriteLambda)
			in := &lambda.InvokeInput{FunctionName: aws.String(tt.function), Payload: []byte(`{"url":"http://127.0.0.1/a b"}`)}
			if tt.qualifier != "" {
				in.Qualifier = aws.String(tt.qualifier)
			}
			_, err := lambdaClient(srv.URL, tt.as).Invoke(context.Background(), in)
			out := <-got
			if out.f != nil {
				t.Fatalf("refused: %v\ncanonical request:\n%s", out.f, out.f.CanonicalRequest)
			}
			if err != nil {
				t.Errorf("invoke: %v", err)
			}
			if out.id != tt.as {
				t.Errorf("identity = %+v, want %+v", out.id, tt.as)
			}
		})
	}
}

// The Lambda client reads each answer of WriteLambda as the error AWS's gives.
func TestWriteLambdaIsReadByTheLambdaClient(t *testing.T) {
	tests := []struct {
		reason   Reason
		message  string
		wantCode string
	}{
		{Missing, "Missing Authentication Token", "MissingAuthenticationTokenException"},
		{Incomplete, "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256", "IncompleteSignatureException"},
		{Unsupported, "The local cloud verifies only signatures dated by the X-Amz-Date header.", "IncompleteSignatureException"},
		{Expired, "Signature expired: 20261202T100410Z is now earlier than 20261202T100510Z (20261202T101010Z - 5 min.)", "InvalidSignatureException"},
		{WrongScope, "Credential should be scoped to correct service: 'lambda'. ", "InvalidSignatureException"},
		{UnknownKey, invalidToken, "UnrecognizedClientException"},
		{BadSignature, signatureMismatch, "InvalidSignatureException"},
		{BadToken, "The security token included in the request is invalid", "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.reason.String(), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				WriteLambda(w, &Failure{Reason: tt.reason, Message: tt.message, CanonicalRequest: "GET\n/\n", StringToSign: "AWS4"})
			}))
			defer srv.Close()
			_, err := lambdaClient(srv.URL, user).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("scraper")})
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v, want an API error", err)
			}
			if apiErr.ErrorCode() != tt.wantCode || apiErr.ErrorMessage() != tt.message {
				t.Errorf("error = %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tt.wantCode, tt.message)
			}
			var resErr *awshttp.ResponseError
			if !errors.As(err, &resErr) || resErr.HTTPStatusCode() != http.StatusForbidden {
				t.Errorf("error = %v, want an HTTP 403", err)
			}
		})
	}
}

func TestWriteAPIGateway(t *testing.T) {
	tests := []struct {
		name     string
		f        Failure
		wantType string
		wantBody string
	}{
		{"missing", Failure{Reason: Missing, Message: "Missing Authentication Token"},
			"MissingAuthenticationTokenException", `{"message":"Missing Authentication Token"}`},
		{"unknown key", Failure{Reason: UnknownKey, Message: invalidToken},
			"AccessDeniedException", `{"message":"The security token included in the request is invalid."}`},
		{"bad token", Failure{Reason: BadToken, Message: "The security token included in the request is invalid"},
			"AccessDeniedException", `{"message":"The security token included in the request is invalid"}`},
		{"incomplete, not HTML-escaped", Failure{Reason: Incomplete, Message: "'a<b' not a valid key=value pair"},
			"IncompleteSignatureException", `{"message":"'a<b' not a valid key=value pair"}`},
		{"expired", Failure{Reason: Expired, Message: "Signature expired: x"}, "InvalidSignatureException", `{"message":"Signature expired: x"}`},
		{"bad signature, with what was signed", Failure{Reason: BadSignature, Message: signatureMismatch,
			CanonicalRequest: "GET\n/local/movies\n\nhost:h\n\nhost\ne3b0", StringToSign: "AWS4-HMAC-SHA256\n20261202T101010Z\nscope\nabc"},
			"InvalidSignatureException", `{"message":"` + signatureMismatch +
				`\n\nThe Canonical String for this request should have been\n'GET\n/local/movies\n\nhost:h\n\nhost\ne3b0'` +
				`\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261202T101010Z\nscope\nabc'\n"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteAPIGateway(w, &tt.f)
			checkAnswer(t, w, tt.wantType, tt.wantBody)
		})
	}
}

// Lambda sends the message of a bad signature alone.
func TestWriteLambdaLeavesOutWhatWasSigned(t *testing.T) {
	w := httptest.NewRecorder()
	WriteLambda(w, &Failure{Reason: BadSignature, Message: signatureMismatch, CanonicalRequest: "GET", StringToSign: "AWS4"})
	checkAnswer(t, w, "InvalidSignatureException", `{"message":"`+signatureMismatch+`"}`)
	if n := w.Body.Len(); n != 192 {
		t.Errorf("body is %d bytes, want the 192 of Lambda's", n)
	}
}

func checkAnswer(t *testing.T, w *httptest.ResponseRecorder, wantType, wantBody string) {
	t.Helper()
	if w.Code != http.StatusForbidden {
		t.Errorf("status = %d, want 403", w.Code)
	}
	if got := w.Header().Get("x-amzn-ErrorType"); got != wantType {
		t.Errorf("x-amzn-ErrorType = %q, want %q", got, wantType)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := w.Body.String(); got != wantBody {
		t.Errorf("body =\n%s\nwant\n%s", got, wantBody)
	}
}
