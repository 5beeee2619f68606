package apigw_test

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"golang.org/x/time/rate"

	"github.com/moviepipe/moviepipe/deploy/local/apigw"
	"github.com/moviepipe/moviepipe/deploy/local/internal/fnbuild"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

var bootstrap string

func TestMain(m *testing.M) { fnbuild.Main(m, "./testdata/apifn", &bootstrap) }

// setup is what a test changes in its gateway.
type setup struct {
	timeout  time.Duration // the integration timeout [10s]
	maxEnvs  int           // the function's concurrency [2]
	binary   []string      // binaryMediaTypes
	throttle func() *rate.Limiter
}

// served is a test gateway: its server and the segments it recorded.
type served struct {
	*httptest.Server
	tracing atomic.Bool // the stage's active tracing, on from the start
	mu      sync.Mutex
	segs    []xraylocal.Segment
}

func (s *served) segments() []xraylocal.Segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.segs)
}

func gateway(t *testing.T, set setup) *served {
	t.Helper()
	host := lambda.NewHost(lambda.Config{Name: "apifn", ARN: "arn:aws:lambda:us-east-1:000000000000:function:apifn", Binary: bootstrap,
		Timeout: 10 * time.Second, MemoryMB: 128, MaxEnvs: cmp.Or(set.maxEnvs, 2), Region: "us-east-1"})
	t.Cleanup(host.Close)
	s := &served{}
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(ak string) (sigv4.Identity, bool) { return caller, ak == caller.AccessKeyID }}
	g := &apigw.Gateway{APIID: "local", Stage: "test", AccountID: "000000000000", Timeout: cmp.Or(set.timeout, 10*time.Second),
		Verify: func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure) {
			return v.Verify(r, body, "execute-api")
		},
		OnSegment: func(seg xraylocal.Segment) { s.mu.Lock(); s.segs = append(s.segs, seg); s.mu.Unlock() }}
	for _, rt := range []apigw.Route{
		{API: "test-api", Method: "GET", Path: "/things/{what}", Host: host},
		{API: "test-api", Method: "POST", Path: "/things/{what}", Host: host},
		{API: "test-api", Method: "POST", Path: "/signed", IAM: true, Host: host},
		{API: "test-api", Method: "GET", Path: "/files/{proxy+}", Host: host},
		{API: "test-api", Method: "GET", Path: "/checked", Host: host, Required: []string{"querystring.year", "header.x-id"}},
	} {
		rt.BinaryMediaTypes, rt.Tracing = set.binary, &s.tracing
		if set.throttle != nil {
			rt.Throttle = set.throttle()
		}
		g.Routes = append(g.Routes, rt)
	}
	s.tracing.Store(true)
	s.Server = httptest.NewUnstartedServer(g)
	s.Listener = g.Listener(s.Listener)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	StatusCode int
	Header     http.Header
}

func call(t *testing.T, method, url string, body []byte, headers map[string]string) (answer, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(string(body)))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{resp.StatusCode, resp.Header}, b
}

// uuidV4 is a request id as API Gateway forms them.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestProxyEvent(t *testing.T) {
	s := gateway(t, setup{})
	resp, body := call(t, "GET", s.URL+"/test/things/abc?tag=a&tag=b&one=1", nil, map[string]string{"X-Custom": "v"})
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Echo") != "yes" || len(resp.Header.Values("Set-Cookie")) != 2 {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev.RequestContext
	checks := map[string]bool{
		"resource":          ev.Resource == "/things/{what}",
		"path":              ev.Path == "/things/abc",
		"path parameters":   ev.PathParameters["what"] == "abc",
		"query":             ev.QueryStringParameters["one"] == "1" && ev.QueryStringParameters["tag"] == "b",
		"multi-value query": fmt.Sprint(ev.MultiValueQueryStringParameters["tag"]) == "[a b]",
		"headers":           ev.Headers["X-Custom"] == "v" && len(ev.MultiValueHeaders["X-Custom"]) == 1,
		"stage":             rc.Stage == "test" && rc.Path == "/test/things/abc" && rc.ResourcePath == "/things/{what}",
		"request id":        uuidV4.MatchString(rc.RequestID) && resp.Header.Get("X-Amzn-Requestid") == rc.RequestID,
		"source ip":         rc.Identity.SourceIP == "127.0.0.1",
		"method":            ev.HTTPMethod == "GET" && rc.HTTPMethod == "GET",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s wrong in %s", name, body)
		}
	}
	if segs := s.segments(); len(segs) != 1 || segs[0].Name != "test-api/test" || segs[0].Origin != "AWS::ApiGateway::Stage" {
		t.Errorf("segments %+v", segs)
	}
	// UpdateStage /tracingEnabled false: the stage records no more.
	s.tracing.Store(false)
	if resp, _ := call(t, "GET", s.URL+"/test/things/abc", nil, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("untraced: %d", resp.StatusCode)
	}
	if segs := s.segments(); len(segs) != 1 {
		t.Errorf("an untraced stage recorded %d segments", len(segs)-1)
	}
}

// The gateway answers as API Gateway does, with AWS's status, message and
// x-amzn-ErrorType.
func TestAWSAnswers(t *testing.T) {
	s := gateway(t, setup{})
	tests := []struct {
		name, method, path string
		status             int
		message, errorType string
	}{
		{"function error", "GET", "/test/things/error", 502, "Internal server error", "InternalServerErrorException"},
		{"malformed response", "GET", "/test/things/malformed", 502, "Internal server error", "InternalServerErrorException"},
		{"unknown route", "GET", "/test/nothing", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"},
		{"wrong method", "DELETE", "/test/things/x", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"},
		{"no stage prefix", "GET", "/things/x", 403, "Forbidden", "ForbiddenException"},
		{"other stage", "GET", "/prod/things/x", 403, "Forbidden", "ForbiddenException"},
		{"unsigned IAM route", "POST", "/test/signed", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"},
		{"greedy path", "GET", "/test/files/a/b/c", 201, "", ""},
		{"required parameters missing", "GET", "/test/checked", 400, "Missing required request parameters: [year, x-id]", "BadRequestException"},
		{"a required parameter missing", "GET", "/test/checked?year=1999", 400, "Missing required request parameters: [x-id]", "BadRequestException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := call(t, tt.method, s.URL+tt.path, nil, nil)
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-Errortype") != tt.errorType {
				t.Fatalf("%d %v %s, want %d %s", resp.StatusCode, resp.Header, body, tt.status, tt.errorType)
			}
			if tt.message != "" && string(body) != `{"message":"`+tt.message+`"}` {
				t.Fatalf("body %s", body)
			}
		})
	}
}

// caller is the one identity the test gateway knows.
var caller = sigv4.Identity{AccessKeyID: "AKIATESTTESTTESTTEST", SecretAccessKey: "secret", ARN: "arn:aws:iam::000000000000:user/local", UserID: "AIDATESTTESTTESTTEST"}

// An AWS_IAM method takes a request signed by a known key, and the caller
// appears in requestContext.identity; a wrong key, a wrong secret, a body
// changed after signing and an old signature are refused with 403, as API
// Gateway refuses them.
func TestIAMMethodVerifiesSigV4(t *testing.T) {
	s := gateway(t, setup{})
	send := func(creds aws.Credentials, signedAt time.Time, body, sent string) (answer, []byte) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/test/signed", strings.NewReader(sent))
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", signedAt); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header}, b
	}
	good := aws.Credentials{AccessKeyID: caller.AccessKeyID, SecretAccessKey: caller.SecretAccessKey}
	resp, body := send(good, time.Now(), `{"a":1}`, `{"a":1}`)
	var ev events.APIGatewayProxyRequest // the function echoes its event
	_ = json.Unmarshal(body, &ev)
	if resp.StatusCode != http.StatusCreated || ev.RequestContext.Identity.AccessKey != caller.AccessKeyID || ev.RequestContext.Identity.UserArn != caller.ARN {
		t.Fatalf("signed: %d, identity %+v", resp.StatusCode, ev.RequestContext.Identity)
	}
	for name, tc := range map[string]struct {
		creds      aws.Credentials
		at         time.Time
		body, sent string
		want       string
	}{
		"unknown key":   {aws.Credentials{AccessKeyID: "AKIANOTKNOWNNOTKNOWN", SecretAccessKey: "x"}, time.Now(), "{}", "{}", "The security token included in the request is invalid."},
		"wrong secret":  {aws.Credentials{AccessKeyID: caller.AccessKeyID, SecretAccessKey: "wrong"}, time.Now(), "{}", "{}", "The request signature we calculated does not match"},
		"tampered body": {good, time.Now(), `{"a":1}`, `{"a":2}`, "The request signature we calculated does not match"},
		"stale":         {good, time.Now().Add(-6 * time.Minute), "{}", "{}", "Signature expired"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := send(tc.creds, tc.at, tc.body, tc.sent)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), tc.want) {
				t.Fatalf("%d %s; want 403 %q", resp.StatusCode, body, tc.want)
			}
		})
	}
}
