package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const region = "us-east-1"

// signedAt is the time the tests sign at; the verifier's clock is set from it.
var signedAt = time.Date(2026, 12, 2, 10, 10, 10, 0, time.UTC)

var (
	user = Identity{
		AccessKeyID: "AKIALOCALUSER0000001", SecretAccessKey: "user-secret",
		ARN: "arn:aws:iam::000000000000:user/local", UserID: "AIDALOCALUSER0000001",
	}
	role = Identity{
		AccessKeyID: "ASIALOCALROLE0000001", SecretAccessKey: "role-secret", SessionToken: "role-token",
		ARN: "arn:aws:sts::000000000000:assumed-role/scraper-role/scraper", UserID: "AROALOCALROLE0000001:scraper",
	}
)

func creds(id Identity) aws.Credentials {
	return aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey, SessionToken: id.SessionToken}
}

// verifier knows user and role and reads the time now.
func verifier(now time.Time) Verifier {
	keys := map[string]Identity{user.AccessKeyID: user, role.AccessKeyID: role}
	return Verifier{
		Keys:   func(k string) (Identity, bool) { id, ok := keys[k]; return id, ok },
		Now:    func() time.Time { return now },
		Region: region,
	}
}

// outcome is what Verify said of a request a server received.
type outcome struct {
	id Identity
	f  *Failure
}

// serve runs v for service behind a real HTTP server, so that requests reach
// Verify as Go's server parses them (Host in r.Host, escaped paths in
// RawPath). write answers a refusal. It returns the server and the outcomes.
func serve(t *testing.T, v Verifier, service string, write func(http.ResponseWriter, *Failure)) (*httptest.Server, <-chan outcome) {
	t.Helper()
	got := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		id, f := v.Verify(r, body, service)
		got <- outcome{id, f}
		if f != nil {
			write(w, f)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// sign signs req with the SDK's signer as SDK clients do and returns the
// canonical request it signed.
func sign(t *testing.T, req *http.Request, body string, c aws.Credentials, service, region string, at time.Time) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	return signHash(t, req, hex.EncodeToString(sum[:]), c, service, region, at)
}

func signHash(t *testing.T, req *http.Request, payloadHash string, c aws.Credentials, service, region string, at time.Time) string {
	t.Helper()
	var log signingLog
	// As the SDK's S3 client signs: its paths escaped once.
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.Logger, o.LogSigning, o.DisableURIPathEscaping = &log, true, service == "s3"
	})
	if err := signer.SignHTTP(context.Background(), c, req, payloadHash, service, region, at); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return log.canonical
}

// send sends req and returns what the server's Verify said of it.
func send(t *testing.T, srv *httptest.Server, got <-chan outcome, req *http.Request) outcome {
	t.Helper()
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return <-got
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	return req
}
