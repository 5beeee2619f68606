package lambda_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// hold starts n invocations of h that run until release is called, and
// returns once all n hold a place within the function's concurrency.
func hold(t *testing.T, h *lambda.Host, n int) (release func()) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "release")
	before := h.Busy()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { _, _ = h.Invoke(context.Background(), []byte(`{"waitFile": "`+file+`"}`), "", true) })
	}
	waitFor(t, "the invocations to start", func() bool { return h.Busy() == before+n })
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := os.WriteFile(file, nil, 0o600); err != nil {
				t.Error(err)
			}
			wg.Wait()
		})
	}
	t.Cleanup(release)
	return release
}

// waitFor waits until cond holds, and fails the test if it does not within
// ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForLog waits until the log holds want.
func waitForLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), want); {
		if time.Now().After(deadline) {
			t.Fatalf("the log has no %q:\n%s", want, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// invokeAPI serves an Invoke API over hosts and returns the SDK's own
// client of it (no retries: each call is one request).
func invokeAPI(t *testing.T, hosts ...*lambda.Host) (*lambda.Service, *awslambda.Client) {
	t.Helper()
	svc := lambda.NewService(hosts, nil)
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := awslambda.New(awslambda.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIAOPERATOROPERATOR", "secret", "")})
	return svc, client
}
