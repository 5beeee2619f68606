package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
)

// signed is what the SDK's signer made of a rebuilt request.
type signed struct {
	signature, canonical, stringToSign string
}

// s3Payloads are the X-Amz-Content-Sha256 values S3 signs in place of the
// body's hash (S3 API Reference, "Authenticating Requests: Using the
// Authorization Header"): an unsigned payload, and the aws-chunked uploads
// the SDKs send with a trailing checksum. S3 alone accepts them; s3local
// checks a trailing checksum. Signed chunks are not accepted: their
// per-chunk signatures would go unchecked.
var s3Payloads = map[string]bool{"UNSIGNED-PAYLOAD": true, "STREAMING-UNSIGNED-PAYLOAD-TRAILER": true}

// resign signs again, with id's secret and at the time the client signed, a
// request rebuilt from r that carries only the headers the client signed.
func resign(r *http.Request, body []byte, a authorization, id Identity, sc scope, at time.Time) (signed, error) {
	req, token := rebuild(r, body, a.signedHeaders)
	creds := aws.Credentials{AccessKeyID: sc.accessKeyID, SecretAccessKey: id.SecretAccessKey, SessionToken: token}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	s3 := sc.service == "s3"
	if h := r.Header.Get("X-Amz-Content-Sha256"); s3 && s3Payloads[h] {
		payload = h
	}
	var log signingLog
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.Logger, o.LogSigning = &log, true
		o.DisableURIPathEscaping = s3
	})
	if err := signer.SignHTTP(r.Context(), creds, req, payload, sc.service, sc.region, at); err != nil {
		return signed{}, err
	}
	_, sig, ok := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	if !ok {
		return signed{}, errors.New("the signer wrote no signature")
	}
	return signed{signature: sig, canonical: log.canonical, stringToSign: log.stringToSign}, nil
}

// rebuild returns a request with r's method, escaped path, query and host,
// and the headers signed, and the session token to sign if it was signed.
//
// The path is r.URL's own: the signer escapes URL.EscapedPath once more (it
// double-encodes for every service but S3), as it did on the client, whose
// escaped path is what the server received. Host, X-Amz-Date and
// X-Amz-Security-Token are written by the signer itself; Content-Length is
// signed from ContentLength.
func rebuild(r *http.Request, body []byte, signedHeaders []string) (*http.Request, string) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	if r.TLS != nil {
		u.Scheme = "https"
	}
	req := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	var token string
	for _, name := range signedHeaders {
		switch name {
		case "host", "x-amz-date":
		case "x-amz-security-token":
			token = r.Header.Get(name)
		case "content-length":
			req.ContentLength = r.ContentLength
			if req.ContentLength <= 0 {
				req.ContentLength = int64(len(body))
			}
		default:
			// Lower-case keys, set directly rather than with Header.Set: the
			// signer then signs exactly the headers the client listed, even
			// those it leaves out of its own signatures (User-Agent), with all
			// their values, trimmed and joined as it does.
			req.Header[name] = slices.Clone(r.Header.Values(name))
		}
	}
	return req, token
}

// signingLog keeps the canonical request and the string to sign that the
// SDK's signer logs when LogSigning is on: they are the first two values of
// its log call. If that ever changes, they are left empty and a refusal only
// lacks them.
type signingLog struct {
	canonical, stringToSign string
}

func (l *signingLog) Logf(_ logging.Classification, _ string, v ...any) {
	if len(v) < 2 {
		return
	}
	l.canonical, _ = v[0].(string)
	l.stringToSign, _ = v[1].(string)
}
