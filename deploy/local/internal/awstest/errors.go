package awstest

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

// WantAPIError fails t unless err is an AWS SDK for Go v2 service error
// with the HTTP status, error code and a message starting with prefix.
func WantAPIError(t testing.TB, err error, status int, code, prefix string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Errorf("%s: %v, want status %d", code, err, status)
	}
	if ae.ErrorCode() != code || !strings.HasPrefix(ae.ErrorMessage(), prefix) {
		t.Errorf("got %s %q, want %s %q…", ae.ErrorCode(), ae.ErrorMessage(), code, prefix)
	}
}
