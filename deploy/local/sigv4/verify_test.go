package sigv4

import (
	"cmp"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// signedRequest is a request as a client builds and signs it.
type signedRequest struct {
	method, path, body string
	header             http.Header
	as                 aws.Credentials
	service, region    string
	at                 time.Time
	// payloadHash replaces the body's SHA-256 in the signature if set.
	payloadHash string
	// after changes the request once it is signed.
	after func(*http.Request)
}

func (s signedRequest) build(t *testing.T, base string) (*http.Request, string) {
	t.Helper()
	req := newRequest(t, s.method, base+s.path, s.body)
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	service, reg, at, c := s.service, s.region, s.at, s.as
	if service == "" {
		service = "execute-api"
	}
	if reg == "" {
		reg = region
	}
	if at.IsZero() {
		at = signedAt
	}
	if c.AccessKeyID == "" {
		c = creds(user)
	}
	var canonical string
	if s.payloadHash != "" {
		canonical = signHash(t, req, s.payloadHash, c, service, reg, at)
	} else {
		canonical = sign(t, req, s.body, c, service, reg, at)
	}
	if s.after != nil {
		s.after(req)
	}
	return req, canonical
}

func TestVerifyAcceptsWhatTheSDKSigns(t *testing.T) {
	tests := []struct {
		name string
		req  signedRequest
		want Identity
	}{
		{"GET with an empty body", signedRequest{method: "GET", path: "/local/movies"}, user},
		{"POST with a JSON body", signedRequest{method: "POST", path: "/local/scrapes", body: `{"url":"http://127.0.0.1/"}`,
			header: http.Header{"Content-Type": {"application/json"}}}, user},
		{"session token of an assumed role", signedRequest{method: "POST", path: "/local/scrapes", body: "{}", as: creds(role)}, role},
		{"escaped slash in a path parameter", signedRequest{method: "GET", path: "/local/movies/tt%2F1"}, user},
		{"space in a path parameter", signedRequest{method: "GET", path: "/local/movies/The%20Matrix"}, user},
		{"non-ASCII path", signedRequest{method: "GET", path: "/local/movies/Am%C3%A9lie"}, user},
		{"reserved characters in the path", signedRequest{method: "GET", path: "/local/movies/a:b$c@d"}, user},
		{"repeated query keys, unsorted", signedRequest{method: "GET", path: "/local/movies?b=2&a=3&a=1&a=2&empty&q=a%20b+c"}, user},
		{"several values of one signed header", signedRequest{method: "GET", path: "/local/movies",
			header: http.Header{"X-Trace": {"a", "b"}}}, user},
		{"spaces inside a signed value", signedRequest{method: "GET", path: "/local/movies",
			header: http.Header{"X-Trace": {"  a   b  c  "}}}, user},
		{"X-Amz-Content-Sha256 of the body", signedRequest{method: "POST", path: "/local/scrapes", body: "{}",
			header: http.Header{"X-Amz-Content-Sha256": {"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}}}, user},
		{"signed 5 minutes ago", signedRequest{method: "GET", path: "/local/movies", at: signedAt.Add(-5 * time.Minute)}, user},
		// osls's uploads: S3 keys with a timestamp's colons, the JavaScript
		// SDK's unsigned and aws-chunked payloads.
		{"S3 key escaped once", signedRequest{method: "PUT", service: "s3", body: "{}",
			path: "/bucket/serverless/moviepipe/local/1764716795442-2026-12-02T23:06:35.442Z/template.json"}, user},
		{"S3 UNSIGNED-PAYLOAD", signedRequest{method: "PUT", service: "s3", path: "/bucket/a:b", body: "{}", payloadHash: "UNSIGNED-PAYLOAD",
			header: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}}, user},
		{"S3 STREAMING-UNSIGNED-PAYLOAD-TRAILER", signedRequest{method: "PUT", service: "s3", path: "/bucket/k", body: "2\r\n{}\r\n0\r\n\r\n",
			payloadHash: "STREAMING-UNSIGNED-PAYLOAD-TRAILER", header: http.Header{"X-Amz-Content-Sha256": {"STREAMING-UNSIGNED-PAYLOAD-TRAILER"}}}, user},
		{"signed 5 minutes ahead", signedRequest{method: "GET", path: "/local/movies", at: signedAt.Add(5 * time.Minute)}, user},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := serve(t, verifier(signedAt), cmp.Or(tt.req.service, "execute-api"), WriteAPIGateway)
			req, _ := tt.req.build(t, srv.URL)
			out := send(t, srv, got, req)
			if out.f != nil {
				t.Fatalf("refused: %v\ncanonical request:\n%s", out.f, out.f.CanonicalRequest)
			}
			if out.id != tt.want {
				t.Errorf("identity = %+v, want %+v", out.id, tt.want)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	wrongSecret := creds(user)
	wrongSecret.SecretAccessKey = "not-the-secret"
	unknown := creds(user)
	unknown.AccessKeyID = "AKIAUNKNOWN000000000"
	wrongToken := creds(role)
	wrongToken.SessionToken = "another-token"
	noToken := creds(role)
	noToken.SessionToken = ""
	tests := []struct {
		name    string
		req     signedRequest
		reason  Reason
		message string
	}{
		{"wrong secret", signedRequest{method: "GET", path: "/local/movies", as: wrongSecret}, BadSignature, signatureMismatch},
		{"unknown key", signedRequest{method: "GET", path: "/local/movies", as: unknown}, UnknownKey, invalidToken},
		{"signed 6 minutes ago", signedRequest{method: "GET", path: "/local/movies", at: signedAt.Add(-6 * time.Minute)}, Expired,
			"Signature expired: 20261202T100410Z is now earlier than 20261202T100510Z (20261202T101010Z - 5 min.)"},
		{"signed 6 minutes ahead", signedRequest{method: "GET", path: "/local/movies", at: signedAt.Add(6 * time.Minute)}, Expired,
			"Signature not yet current: 20261202T101610Z is still later than 20261202T101510Z (20261202T101010Z + 5 min.)"},
		{"body changed after signing", signedRequest{method: "POST", path: "/local/scrapes", body: `{"n":1}`,
			after: func(r *http.Request) { r.Body = io.NopCloser(strings.NewReader(`{"n":2}`)) }}, BadSignature, signatureMismatch},
		{"signed header changed", signedRequest{method: "GET", path: "/local/movies", header: http.Header{"X-Trace": {"a"}},
			after: func(r *http.Request) { r.Header.Set("X-Trace", "b") }}, BadSignature, signatureMismatch},
		{"path changed", signedRequest{method: "GET", path: "/local/movies/tt1",
			after: func(r *http.Request) { r.URL.Path = "/local/movies/tt2" }}, BadSignature, signatureMismatch},
		{"query changed", signedRequest{method: "GET", path: "/local/movies?limit=1",
			after: func(r *http.Request) { r.URL.RawQuery = "limit=2" }}, BadSignature, signatureMismatch},
		{"UNSIGNED-PAYLOAD", signedRequest{method: "POST", path: "/local/scrapes", body: "{}", payloadHash: "UNSIGNED-PAYLOAD",
			header: http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}}, BadSignature, signatureMismatch},
		{"scoped to another service", signedRequest{method: "GET", path: "/local/movies", service: "lambda"}, WrongScope,
			"Credential should be scoped to correct service: 'execute-api'. "},
		{"scoped to another region", signedRequest{method: "GET", path: "/local/movies", region: "eu-west-1"}, WrongScope,
			"Credential should be scoped to a valid region, not 'eu-west-1'. "},
		{"another session token", signedRequest{method: "GET", path: "/local/movies", as: wrongToken}, BadToken,
			"The security token included in the request is invalid"},
		{"temporary key without its token", signedRequest{method: "GET", path: "/local/movies", as: noToken}, BadToken, invalidToken},
		{"no Authorization", signedRequest{method: "GET", path: "/local/movies",
			after: func(r *http.Request) { r.Header.Del("Authorization") }}, Missing, "Missing Authentication Token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, got := serve(t, verifier(signedAt), "execute-api", WriteAPIGateway)
			req, _ := tt.req.build(t, srv.URL)
			out := send(t, srv, got, req)
			if out.f == nil {
				t.Fatalf("accepted as %+v", out.id)
			}
			if out.f.Reason != tt.reason || out.f.Message != tt.message {
				t.Errorf("refused with %v %q, want %v %q", out.f.Reason, out.f.Message, tt.reason, tt.message)
			}
			if out.id != (Identity{}) {
				t.Errorf("identity = %+v, want none", out.id)
			}
		})
	}
}

// A refusal for a bad signature reports what the local cloud signed: with the
// right path, query and headers but the wrong secret, it is what the client
// signed.
func TestBadSignatureReportsTheClientsCanonicalRequest(t *testing.T) {
	wrong := creds(user)
	wrong.SecretAccessKey = "not-the-secret"
	srv, got := serve(t, verifier(signedAt), "execute-api", WriteAPIGateway)
	req, canonical := signedRequest{method: "POST", path: "/local/movies/tt%2F1?b=1&a=2&a=1", body: `{"x":1}`, as: wrong,
		header: http.Header{"Content-Type": {"application/json"}, "X-Trace": {" a  b ", "c"}}}.build(t, srv.URL)
	out := send(t, srv, got, req)
	if out.f == nil || out.f.Reason != BadSignature {
		t.Fatalf("outcome = %+v, want a bad signature", out.f)
	}
	if out.f.CanonicalRequest != canonical {
		t.Errorf("canonical request:\n%s\nwant the client's:\n%s", out.f.CanonicalRequest, canonical)
	}
	if !strings.HasPrefix(out.f.StringToSign, "AWS4-HMAC-SHA256\n20261202T101010Z\n20261202/us-east-1/execute-api/aws4_request\n") {
		t.Errorf("string to sign = %q", out.f.StringToSign)
	}
}

func TestVerifyChecksTheServiceItIsGiven(t *testing.T) {
	srv, got := serve(t, verifier(signedAt), "lambda", WriteLambda)
	req, _ := signedRequest{method: "POST", path: "/2015-03-31/functions/f/invocations", body: "{}", service: "lambda"}.build(t, srv.URL)
	if out := send(t, srv, got, req); out.f != nil {
		t.Errorf("refused: %v", out.f)
	}
	req, _ = signedRequest{method: "POST", path: "/2015-03-31/functions/f/invocations", body: "{}"}.build(t, srv.URL)
	out := send(t, srv, got, req)
	if out.f == nil || out.f.Message != "Credential should be scoped to correct service: 'lambda'. " {
		t.Errorf("outcome = %+v, want refused for the execute-api scope", out.f)
	}
}

func TestVerifyWithoutKeysKnowsNoKey(t *testing.T) {
	v := verifier(signedAt)
	v.Keys = nil
	srv, got := serve(t, v, "execute-api", WriteAPIGateway)
	req, _ := signedRequest{method: "GET", path: "/local/movies"}.build(t, srv.URL)
	if out := send(t, srv, got, req); out.f == nil || out.f.Reason != UnknownKey {
		t.Errorf("outcome = %+v, want an unknown key", out.f)
	}
}

func TestVerifyUsesTheWallClockByDefault(t *testing.T) {
	v := verifier(signedAt)
	v.Now = nil
	srv, got := serve(t, v, "execute-api", WriteAPIGateway)
	req, _ := signedRequest{method: "GET", path: "/local/movies", at: time.Now()}.build(t, srv.URL)
	if out := send(t, srv, got, req); out.f != nil {
		t.Errorf("refused: %v", out.f)
	}
}

// S3's signed chunks are refused: their chunk signatures would go
// unchecked. Outside S3, an S3 payload value is not taken either.
func TestS3SignedChunksRefused(t *testing.T) {
	for _, c := range []struct{ service, payload string }{
		{"s3", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}, {"lambda", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"},
	} {
		srv, got := serve(t, verifier(signedAt), c.service, WriteAPIGateway)
		req, _ := signedRequest{method: "PUT", service: c.service, path: "/bucket/k", body: "{}", payloadHash: c.payload,
			header: http.Header{"X-Amz-Content-Sha256": {c.payload}}}.build(t, srv.URL)
		if out := send(t, srv, got, req); out.f == nil || out.f.Reason != BadSignature {
			t.Errorf("%s %s: %+v", c.service, c.payload, out.f)
		}
	}
}
