package stslocal_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
	"github.com/moviepipe/moviepipe/deploy/local/stslocal"
)

var (
	operator = sigv4.Identity{AccessKeyID: "AKIALOCALOPERATOR001", SecretAccessKey: "operator-secret",
		ARN: "arn:aws:iam::000000000000:user/local", UserID: "AIDALOCALOPERATOR001"}
	function = sigv4.Identity{AccessKeyID: "ASIALOCALFUNCTION001", SecretAccessKey: "function-secret", SessionToken: "token",
		ARN:    "arn:aws:sts::000000000000:assumed-role/moviepipe-scraper-local-us-east-1-lambdaRole/moviepipe-scraper-local",
		UserID: "AROALOCALSCRAPER0001:moviepipe-scraper-local"}
)

// server serves STS verifying signatures against the two identities.
func server(t *testing.T, caller func(string) (stslocal.Caller, bool)) string {
	t.Helper()
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(key string) (sigv4.Identity, bool) {
		for _, id := range []sigv4.Identity{operator, function} {
			if id.AccessKeyID == key {
				return id, true
			}
		}
		return sigv4.Identity{}, false
	}}
	srv := httptest.NewServer(&stslocal.Service{Caller: caller,
		Verify: func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure) { return v.Verify(r, body, "sts") }})
	t.Cleanup(srv.Close)
	return srv.URL
}

func client(url string, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Credentials: creds, Retryer: aws.NopRetryer{}})
}

func static(id sigv4.Identity) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(id.AccessKeyID, id.SecretAccessKey, id.SessionToken)
}

// GetCallerIdentity names the principal that signed the call: a user by its
// user ARN and AIDA id, an assumed role by its assumed-role ARN and
// "AROA…:session" (STS API Reference, GetCallerIdentity, examples).
func TestGetCallerIdentityNamesTheSigner(t *testing.T) {
	url := server(t, nil)
	for _, id := range []sigv4.Identity{operator, function} {
		out, err := client(url, static(id)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("%s: %v", id.AccessKeyID, err)
		}
		if aws.ToString(out.Account) != "000000000000" || aws.ToString(out.Arn) != id.ARN || aws.ToString(out.UserId) != id.UserID {
			t.Errorf("%s: account %q, arn %q, user id %q", id.AccessKeyID, aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
		}
	}
}

// The injected Caller decides what a verified key is; a key it does not
// know is InvalidClientTokenId, as for an unknown key on AWS.
func TestCallerFromTheVerifiedKey(t *testing.T) {
	url := server(t, func(key string) (stslocal.Caller, bool) {
		if key != operator.AccessKeyID {
			return stslocal.Caller{}, false
		}
		return stslocal.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/ops", UserID: "AIDAOPS"}, true
	})
	out, err := client(url, static(operator)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(out.Account) != "111122223333" || aws.ToString(out.UserId) != "AIDAOPS" {
		t.Fatalf("%+v, %v", out, err)
	}
	_, err = client(url, static(function)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	awstest.WantAPIError(t, err, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// A request STS cannot verify is refused with the query protocol's codes.
func TestRefusedSignatures(t *testing.T) {
	url := server(t, nil)
	wrongSecret := operator
	wrongSecret.SecretAccessKey = "not-the-secret"
	unknown := sigv4.Identity{AccessKeyID: "AKIAUNKNOWN000000001", SecretAccessKey: "x"}
	for _, c := range []struct {
		name        string
		creds       aws.CredentialsProvider
		status      int
		code, start string
	}{
		{"unsigned", aws.AnonymousCredentials{}, 403, "MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"wrong secret", static(wrongSecret), 403, "SignatureDoesNotMatch", "The request signature we calculated does not match"},
		{"unknown key", static(unknown), 403, "InvalidClientTokenId", "The security token included in the request is invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := client(url, c.creds).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			awstest.WantAPIError(t, err, c.status, c.code, c.start)
		})
	}
}

// Any other action is refused by name, never answered as if done.
func TestOtherActionsRefused(t *testing.T) {
	url := server(t, nil)
	_, err := client(url, static(operator)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/r"), RoleSessionName: aws.String("s")})
	awstest.WantAPIError(t, err, 400, "InvalidAction", "AssumeRole is not an action the local STS emulates")
}

// Without a verifier STS answers nothing but an internal failure: it cannot
// say who signed a request it has not verified.
func TestNoVerifierNoAnswer(t *testing.T) {
	srv := httptest.NewServer(&stslocal.Service{})
	defer srv.Close()
	_, err := client(srv.URL, static(operator)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	awstest.WantAPIError(t, err, 500, "InternalFailure", "the local STS has no SigV4 verifier")
}
