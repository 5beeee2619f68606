package secretslocal_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/iam"
	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

const (
	keyARN   = "arn:aws:secretsmanager:us-east-1:000000000000:secret:moviepipe-local-cursor-key-AbC123"
	emptyARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:nothing-yet-ZyX987"
)

// store holds the cursor key and a secret made with no value.
func store(t *testing.T) *secretslocal.Store {
	t.Helper()
	st := secretslocal.NewStore()
	for _, s := range []secretslocal.Secret{
		{ARN: keyARN, Name: "moviepipe-local-cursor-key", Description: "the key", Value: "k3y", HasValue: true},
		{ARN: emptyARN, Name: "nothing-yet"},
	} {
		if err := st.Create(s); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func client(url string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("ASIAFNFNFNFNFNFNFNFN", "secret", "token")})
}

// GetSecretValue finds a secret by its full ARN, its name or its partial
// ARN (the ARN less the six-character suffix), as SecretId allows.
func TestGetSecretValueByARNNameOrPartialARN(t *testing.T) {
	srv := httptest.NewServer(secretslocal.NewService(store(t)))
	defer srv.Close()
	for _, id := range []string{keyARN, "moviepipe-local-cursor-key", strings.TrimSuffix(keyARN, "-AbC123")} {
		out, err := client(srv.URL).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if aws.ToString(out.SecretString) != "k3y" || aws.ToString(out.ARN) != keyARN || aws.ToString(out.Name) != "moviepipe-local-cursor-key" ||
			len(out.VersionStages) != 1 || out.VersionStages[0] != "AWSCURRENT" || aws.ToString(out.VersionId) == "" || out.CreatedDate == nil {
			t.Errorf("%s: %+v", id, out)
		}
	}
	d, err := client(srv.URL).DescribeSecret(t.Context(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("moviepipe-local-cursor-key")})
	if err != nil || aws.ToString(d.ARN) != keyARN || aws.ToString(d.Description) != "the key" || len(d.VersionIdsToStages) != 1 {
		t.Fatalf("describe: %+v %v", d, err)
	}
}

// What no secret answers to is ResourceNotFoundException, with Secrets
// Manager's words: an unknown secret, a name that is only a prefix, and a
// secret with no value yet.
func TestUnknownSecretIsResourceNotFound(t *testing.T) {
	srv := httptest.NewServer(secretslocal.NewService(store(t)))
	defer srv.Close()
	for id, msg := range map[string]string{
		"moviepipe-dev-cursor-key": "Secrets Manager can't find the specified secret.",
		"moviepipe-local-cursor":   "Secrets Manager can't find the specified secret.",
		"arn:aws:secretsmanager:us-east-1:000000000000:secret:moviepipe-local-cursor-key-AAAAAA": "Secrets Manager can't find the specified secret.",
		"nothing-yet": "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
	} {
		_, err := client(srv.URL).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		awstest.WantAPIError(t, err, http.StatusBadRequest, "ResourceNotFoundException", msg)
	}
	_, err := client(srv.URL).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(keyARN), VersionStage: aws.String("AWSPREVIOUS")})
	awstest.WantAPIError(t, err, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS")
}

// A name is one secret's: a second secret of the same name is refused as
// Secrets Manager refuses it; the same ARN again keeps the first value.
func TestNamesAreUnique(t *testing.T) {
	st := store(t)
	err := st.Create(secretslocal.Secret{ARN: strings.TrimSuffix(keyARN, "AbC123") + "Other1", Name: "moviepipe-local-cursor-key"})
	if err == nil || !strings.Contains(err.Error(), "ResourceExistsException: The operation failed because the secret moviepipe-local-cursor-key already exists.") {
		t.Errorf("second secret of a name: %v", err)
	}
	if err := st.Create(secretslocal.Secret{ARN: keyARN, Name: "moviepipe-local-cursor-key", Value: "other", HasValue: true}); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Lookup(keyARN); s.Value != "k3y" {
		t.Errorf("value %q after the same secret was made again", s.Value)
	}
	st.Delete(keyARN)
	if _, ok := st.Lookup("moviepipe-local-cursor-key"); ok {
		t.Error("a deleted secret is found")
	}
}

// Through the front door, IAM evaluates the call on the secret's full ARN
// whatever SecretId names it by: a role allowed GetSecretValue on that ARN
// reads it by name too; a role without it gets Secrets Manager's
// AccessDeniedException naming the full ARN, or the id as given when no
// secret answers to it.
func TestFrontDoorEvaluatesTheSecretsARN(t *testing.T) {
	st := store(t)
	svc := httptest.NewServer(secretslocal.NewService(st))
	defer svc.Close()
	door := func(resource string) string {
		p := principal(t, resource)
		u, _ := url.Parse(svc.URL)
		d := httptest.NewServer(&frontdoor.Door{Service: "secretsmanager", Upstream: u, Region: "us-east-1", Account: "000000000000",
			Report: &frontdoor.Report{}, Secrets: st.Resolve,
			Principals: func(ak string) (*frontdoor.Principal, bool) { return p, ak == p.Identity.AccessKeyID }})
		t.Cleanup(d.Close)
		return d.URL
	}
	allowed, other := door(keyARN), door(emptyARN)
	for _, id := range []string{keyARN, "moviepipe-local-cursor-key"} {
		out, err := client(allowed).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil || aws.ToString(out.SecretString) != "k3y" {
			t.Errorf("allowed, by %s: %+v %v", id, out, err)
		}
	}
	const denied = "User: arn:aws:sts::000000000000:assumed-role/fn-role/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: "
	for id, resource := range map[string]string{"moviepipe-local-cursor-key": keyARN, keyARN: keyARN, "no-such-secret": "no-such-secret"} {
		_, err := client(other).GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		awstest.WantAPIError(t, err, http.StatusBadRequest, "AccessDeniedException",
			denied+resource+" because no identity-based policy allows the secretsmanager:GetSecretValue action")
	}
	_, err := client(allowed).ListSecrets(t.Context(), &secretsmanager.ListSecretsInput{})
	awstest.WantAPIError(t, err, http.StatusBadRequest, "UnknownOperationException", "local cloud front door: secretsmanager \"ListSecrets\": not emulated")
}

// principal is a function whose role allows GetSecretValue on resource.
func principal(t *testing.T, resource string) *frontdoor.Principal {
	t.Helper()
	var doc any
	_ = json.Unmarshal([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue"],"Resource":["`+resource+`"]}]}`), &doc)
	p, err := iam.ParsePolicy("fn-policy", doc)
	if err != nil {
		t.Fatal(err)
	}
	return &frontdoor.Principal{Name: "fn", Role: "arn:aws:iam::000000000000:role/fn-role", Policies: []iam.Policy{p},
		Identity: sigv4.Identity{AccessKeyID: "ASIAFNFNFNFNFNFNFNFN", SecretAccessKey: "secret", SessionToken: "token",
			ARN: "arn:aws:sts::000000000000:assumed-role/fn-role/fn", UserID: "AROAFNFNFNFNFNFNFNFN:fn"}}
}
