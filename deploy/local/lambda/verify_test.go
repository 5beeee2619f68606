package lambda_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

var operator = sigv4.Identity{AccessKeyID: "AKIAOPERATOROPERATOR", SecretAccessKey: "secret", ARN: "arn:aws:iam::000000000000:user/local", UserID: "AIDAOPERATOR"}

// The Invoke API checks SigV4 before anything else, as Lambda does: the SDK's
// own client, signed with a known key, invokes; a wrong secret, an unknown
// key, a stale signature and a payload changed after signing are refused
// with 403 and the error code Lambda gives.
func TestInvokeAPIVerifiesSigV4(t *testing.T) {
	h, _, _ := newHost(t, nil)
	svc := lambda.NewService([]*lambda.Host{h}, nil)
	t.Cleanup(svc.Close)
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(ak string) (sigv4.Identity, bool) { return operator, ak == operator.AccessKeyID }}
	svc.Verify = func(r *http.Request, body []byte) *sigv4.Failure { _, f := v.Verify(r, body, "lambda"); return f }
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)

	client := func(ak, secret string) *awslambda.Client {
		return awslambda.New(awslambda.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Retryer: aws.NopRetryer{},
			Credentials: credentials.NewStaticCredentialsProvider(ak, secret, "")})
	}
	out, err := client(operator.AccessKeyID, operator.SecretAccessKey).Invoke(t.Context(), &awslambda.InvokeInput{
		FunctionName: aws.String("fn-test"), Payload: []byte(`{"reply": {"ok": true}}`)})
	if err != nil || string(out.Payload) != `{"ok":true}` {
		t.Fatalf("signed invoke: %v %s", err, out.Payload)
	}
	for name, tc := range map[string]struct{ ak, secret, code string }{
		"wrong secret": {operator.AccessKeyID, "wrong", "InvalidSignatureException"},
		"unknown key":  {"AKIANOTKNOWN", "secret", "UnrecognizedClientException"},
	} {
		_, err := client(tc.ak, tc.secret).Invoke(t.Context(), &awslambda.InvokeInput{FunctionName: aws.String("fn-test"), Payload: []byte(`{}`)})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
			t.Errorf("%s: %v; want %s", name, err, tc.code)
		}
	}

	raw := func(signedAt time.Time, signed, sent string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/fn-test/invocations", strings.NewReader(sent))
		sum := sha256.Sum256([]byte(signed))
		creds := aws.Credentials{AccessKeyID: operator.AccessKeyID, SecretAccessKey: operator.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", signedAt); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype") + " " + string(b)
	}
	if code, body := raw(time.Now().Add(-6*time.Minute), `{}`, `{}`); code != http.StatusForbidden || !strings.Contains(body, "Signature expired") {
		t.Errorf("stale: %d %s", code, body)
	}
	if code, body := raw(time.Now(), `{"a":1}`, `{"a":2}`); code != http.StatusForbidden || !strings.Contains(body, "InvalidSignatureException") {
		t.Errorf("tampered: %d %s", code, body)
	}
}
