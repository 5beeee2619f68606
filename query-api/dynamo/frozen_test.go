package dynamo_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	queryapi "github.com/moviepipe/moviepipe/query-api"
	"github.com/moviepipe/moviepipe/query-api/dynamo"
)

// frozenEndpoint listens and never accepts: the kernel completes each
// connection and nothing ever answers, which is what a client sees of an
// emulator whose process is stopped (SIGSTOP) or of a hung endpoint.
func frozenEndpoint(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return "http://" + ln.Addr().String()
}

// closedEndpoint refuses every connection: a store that is gone.
func closedEndpoint(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
	return "http://" + ln.Addr().String()
}

func handlerAt(endpoint string, timeout time.Duration) *queryapi.Handler {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, nil
	})
	c := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
	return &queryapi.Handler{
		Store:        &dynamo.Store{API: c, Table: "movies", YearIndex: "byYear"},
		Cursor:       queryapi.Cursor{Key: []byte("test-key-0123456789")},
		StoreTimeout: timeout,
		Log:          slog.New(slog.DiscardHandler),
	}
}

// A frozen or vanished store is a 503 problem+json with Retry-After, given
// by this function before its own deadline: never Lambda's timeout (which API
// Gateway answers with a bare 502).
func TestFrozenStoreIsA503InTime(t *testing.T) {
	requests := []events.APIGatewayProxyRequest{
		{HTTPMethod: "GET", Resource: "/movies/{id}", Path: "/movies/tt0111161", PathParameters: map[string]string{"id": "tt0111161"}},
		{HTTPMethod: "GET", Resource: "/movies", Path: "/movies"},
		{HTTPMethod: "GET", Resource: "/movies", Path: "/movies", QueryStringParameters: map[string]string{"year": "1994"}},
	}
	for name, tt := range map[string]struct {
		endpoint     string
		storeTimeout time.Duration
		function     time.Duration // the function's remaining time
	}{
		"frozen, the store timeout first":     {frozenEndpoint(t), 300 * time.Millisecond, 10 * time.Second},
		"frozen, the function deadline first": {frozenEndpoint(t), 25 * time.Second, 1500 * time.Millisecond},
		"gone":                                {closedEndpoint(t), 300 * time.Millisecond, 10 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			h := handlerAt(tt.endpoint, tt.storeTimeout)
			for _, req := range requests {
				ctx, cancel := context.WithTimeout(t.Context(), tt.function)
				resp, err := h.Handle(ctx, req)
				late := ctx.Err()
				cancel()
				var p queryapi.Problem
				_ = json.Unmarshal([]byte(resp.Body), &p)
				if err != nil || resp.StatusCode != http.StatusServiceUnavailable || p.Code != "unavailable" ||
					resp.Headers["Content-Type"] != "application/problem+json" || resp.Headers["Retry-After"] == "" {
					t.Fatalf("%s: %d %v %s (%v)", req.Path, resp.StatusCode, resp.Headers, resp.Body, err)
				}
				if late != nil {
					t.Fatalf("%s: answered after the function's deadline", req.Path)
				}
			}
		})
	}
}
