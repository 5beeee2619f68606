package logslocal_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/logslocal"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// groups is a set of log groups; a group named "protected" cannot be
// deleted.
type groups struct {
	mu    sync.Mutex
	names map[string]bool
}

func (g *groups) DeleteLogGroup(name string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case name == "protected":
		return errors.New("the log group protected belongs to stack s: remove the stack")
	case !g.names[name]:
		return logslocal.ErrNotFound
	}
	delete(g.names, name)
	return nil
}

const secret = "operator-secret"

func client(t *testing.T, h http.Handler, secretKey string) *cloudwatchlogs.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return cloudwatchlogs.New(cloudwatchlogs.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Retryer: aws.NopRetryer{}, Credentials: credentials.NewStaticCredentialsProvider("AKIALOCAL", secretKey, "")})
}

func verifier() func(*http.Request, []byte) *sigv4.Failure {
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(k string) (sigv4.Identity, bool) {
		return sigv4.Identity{AccessKeyID: k, SecretAccessKey: secret}, k == "AKIALOCAL"
	}}
	return func(r *http.Request, body []byte) *sigv4.Failure { _, f := v.Verify(r, body, "logs"); return f }
}

// DeleteLogGroup deletes a group once; then, and for a group that never
// was, it is ResourceNotFoundException "The specified log group does not
// exist." (CloudWatch Logs API Reference, DeleteLogGroup, Errors), which
// osls's update-stage.js ignores.
func TestDeleteLogGroup(t *testing.T) {
	g := &groups{names: map[string]bool{"/aws/lambda/moviepipe-scraper-local": true}}
	logs := client(t, logslocal.New(g, verifier()), secret)
	ctx := context.Background()
	name := aws.String("/aws/lambda/moviepipe-scraper-local")
	if _, err := logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: name}); err != nil {
		t.Fatal(err)
	}
	_, err := logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: name})
	awstest.WantAPIError(t, err, 400, "ResourceNotFoundException", "The specified log group does not exist.")

	none := client(t, logslocal.New(nil, nil), secret)
	_, err = none.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/aws/api-gateway/moviepipe-query-api-local")})
	awstest.WantAPIError(t, err, 400, "ResourceNotFoundException", "The specified log group does not exist.")
}

// A group the cloud will not delete is refused with the cloud's reason; a
// malformed name is refused as CloudWatch Logs refuses it.
func TestDeleteLogGroupRefused(t *testing.T) {
	logs := client(t, logslocal.New(&groups{}, nil), secret)
	ctx := context.Background()
	_, err := logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("protected")})
	awstest.WantAPIError(t, err, 400, "InvalidOperationException", "the log group protected belongs to stack s")
	_, err = logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("C:/Program Files/Git/aws/x")})
	awstest.WantAPIError(t, err, 400, "InvalidParameterException",
		"1 validation error detected: Value 'C:/Program Files/Git/aws/x' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern")
}

// Every other operation is refused by name, never answered as if done.
func TestOtherOperationsRefused(t *testing.T) {
	logs := client(t, logslocal.New(nil, nil), secret)
	_, err := logs.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException", "CreateLogGroup is not an operation the local CloudWatch Logs emulates")
}

// A request signed with the wrong secret is refused before anything is
// deleted, with a JSON service's type for it.
func TestSignatureVerified(t *testing.T) {
	g := &groups{names: map[string]bool{"g": true}}
	logs := client(t, logslocal.New(g, verifier()), "not-the-secret")
	_, err := logs.DeleteLogGroup(context.Background(), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("g")})
	awstest.WantAPIError(t, err, 400, "InvalidSignatureException", "The request signature we calculated does not match")
	if !g.names["g"] {
		t.Error("a refused request deleted the group")
	}
}
