package stslocal_test

import (
	"path/filepath"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
)

// oslsAccount is what osls's getAccountInfo made of the answer.
type oslsAccount struct {
	Info struct {
		AccountID, Partition, Arn, UserID string
	}
	AccountID string
	Failure   *struct {
		Name    string
		Status  int
		Message string
	}
}

// osls's own AwsProvider#getAccountInfo reads Account, Arn (for the
// partition: its second field) and UserId of GetCallerIdentity (osls
// lib/plugins/aws/provider.js, getAccountInfo), through the JavaScript SDK
// it ships, at AWS_ENDPOINT_URL_STS.
func TestOslsAccountInfo(t *testing.T) {
	dir := awstest.OslsDir(t)
	url := server(t, nil)
	script := filepath.Join("testdata", "osls_account.js")
	env := []string{"AWS_ENDPOINT_URL_STS=" + url}

	var got oslsAccount
	awstest.Node(t, env, &got, script, dir, function.AccessKeyID, function.SecretAccessKey, function.SessionToken)
	if got.Failure != nil {
		t.Fatalf("osls: %+v", *got.Failure)
	}
	if got.Info.AccountID != "000000000000" || got.AccountID != "000000000000" || got.Info.Partition != "aws" ||
		got.Info.Arn != function.ARN || got.Info.UserID != function.UserID {
		t.Errorf("osls read %+v", got)
	}

	var refused oslsAccount
	awstest.Node(t, env, &refused, script, dir, operator.AccessKeyID, "not-the-secret")
	if f := refused.Failure; f == nil || f.Name != "SignatureDoesNotMatch" || f.Status != 403 {
		t.Errorf("a bad signature: %+v", refused)
	}
}
