package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// An AWS_IAM method verifies the caller, answers a refusal as API Gateway
// does, and hands the caller's identity to the proxy event.
func Example() {
	local := sigv4.Identity{
		AccessKeyID: "AKIALOCALUSER0000001", SecretAccessKey: "secret",
		ARN: "arn:aws:iam::000000000000:user/local", UserID: "AIDALOCALUSER0000001",
	}
	now := time.Date(2026, 12, 2, 10, 10, 10, 0, time.UTC)
	v := sigv4.Verifier{
		Keys:   func(k string) (sigv4.Identity, bool) { return local, k == local.AccessKeyID },
		Now:    func() time.Time { return now },
		Region: "us-east-1",
	}
	method := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, f := v.Verify(r, body, "execute-api")
		if f != nil {
			sigv4.WriteAPIGateway(w, f)
			return
		}
		identity := id.ProxyIdentity("127.0.0.1", r.UserAgent())
		fmt.Fprintf(w, "caller %s of account %s", identity.Caller, identity.AccountID)
	})

	unsigned := httptest.NewRequest(http.MethodGet, "/local/movies/tt0133093", nil)
	w := httptest.NewRecorder()
	method.ServeHTTP(w, unsigned)
	fmt.Println(w.Code, w.Header().Get("x-amzn-ErrorType"), w.Body.String())

	signed := httptest.NewRequest(http.MethodGet, "/local/movies/tt0133093", nil)
	empty := sha256.Sum256(nil)
	creds := aws.Credentials{AccessKeyID: local.AccessKeyID, SecretAccessKey: local.SecretAccessKey}
	_ = v4.NewSigner().SignHTTP(context.Background(), creds, signed, hex.EncodeToString(empty[:]), "execute-api", "us-east-1", now)
	w = httptest.NewRecorder()
	method.ServeHTTP(w, signed)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 403 MissingAuthenticationTokenException {"message":"Missing Authentication Token"}
	// 200 caller AIDALOCALUSER0000001 of account 000000000000
}
