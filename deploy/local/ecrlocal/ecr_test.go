package ecrlocal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/moviepipe/moviepipe/deploy/local/ecrlocal"
	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

const account = "000000000000"

func server(t *testing.T, verify func(*http.Request, []byte) *sigv4.Failure) string {
	t.Helper()
	srv := httptest.NewServer(ecrlocal.New(account, verify))
	t.Cleanup(srv.Close)
	return srv.URL
}

func client(url, secret string) *ecr.Client {
	return ecr.New(ecr.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIALOCAL", secret, "")})
}

// The local cloud has no image repositories: a named one does not exist,
// in ECR's words (RepositoryNotFoundException, 400), in the registry asked
// for or the caller's; a listing is empty.
func TestNoRepositories(t *testing.T) {
	c := client(server(t, nil), "secret")
	ctx := context.Background()
	_, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"serverless-moviepipe-scraper-local"}})
	awstest.WantAPIError(t, err, 400, "RepositoryNotFoundException",
		"The repository with name 'serverless-moviepipe-scraper-local' does not exist in the registry with id '000000000000'")
	_, err = c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"r"}, RegistryId: aws.String("111122223333")})
	awstest.WantAPIError(t, err, 400, "RepositoryNotFoundException", "The repository with name 'r' does not exist in the registry with id '111122223333'")
	out, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil || len(out.Repositories) != 0 {
		t.Errorf("listing: %+v, %v", out, err)
	}
}

// Every other operation is refused by name, a signature is verified first.
func TestRefusals(t *testing.T) {
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(k string) (sigv4.Identity, bool) {
		return sigv4.Identity{AccessKeyID: k, SecretAccessKey: "secret"}, k == "AKIALOCAL"
	}}
	url := server(t, func(r *http.Request, body []byte) *sigv4.Failure { _, f := v.Verify(r, body, "ecr"); return f })
	_, err := client(url, "secret").CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String("r")})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException", "CreateRepository is not an operation the local ECR emulates")
	_, err = client(url, "wrong").DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{})
	awstest.WantAPIError(t, err, 400, "InvalidSignatureException", "The request signature we calculated does not match")
}

// osls remove asks for "serverless-{service}-{stage}" in the account's
// registry and reads RepositoryNotFoundException as "no repository to
// delete" (osls lib/plugins/aws/lib/check-if-ecr-repository-exists.js);
// any other error would fail the remove once the stack is gone.
func TestOslsFindsNoRepository(t *testing.T) {
	dir := awstest.OslsDir(t)
	var got struct {
		Exists     bool
		Repository string
		Failure    *struct{ Name, Message string }
	}
	awstest.Node(t, []string{"AWS_ENDPOINT_URL_ECR=" + server(t, nil)}, &got,
		filepath.Join("testdata", "osls_ecr.js"), dir, "moviepipe-scraper", "local", account)
	if got.Failure != nil || got.Exists || got.Repository != "serverless-moviepipe-scraper-local" {
		t.Errorf("osls saw %+v", got)
	}
}
