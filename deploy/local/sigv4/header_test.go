package sigv4

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const (
	amzNow    = "20261202T101010Z"
	userScope = "AKIALOCALUSER0000001/20261202/us-east-1/execute-api/aws4_request"
	fullAuth  = "AWS4-HMAC-SHA256 Credential=" + userScope + ", SignedHeaders=host;x-amz-date, Signature=00"
)

// malformed are Authorization headers that are not complete SigV4 ones, and
// how they are refused: before any key is looked up, with the texts AWS sends.
var malformed = []struct {
	name, target, auth string
	header             map[string]string
	reason             Reason
	message            string
}{
	{name: "a JWT", auth: "eyJhbGciOi.eyJzdWIi.c2ln", reason: Incomplete,
		message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
			"Authorization header requires 'SignedHeaders' parameter. " +
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=eyJhbGciOi.eyJzdWIi.c2ln"},
	{name: "an empty header", auth: "", header: map[string]string{"X-Amz-Date": amzNow}, reason: Incomplete,
		message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
			"Authorization header requires 'SignedHeaders' parameter. Authorization="},
	{name: "a bearer token", auth: "Bearer abc.def", reason: Incomplete,
		message: "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer abc.def'."},
	{name: "a space after Credential=", auth: "AWS4-HMAC-SHA256 Credential= " + userScope + ", SignedHeaders=host, Signature=00",
		reason: Incomplete, message: "'" + userScope + "' not a valid key=value pair (missing equal-sign) in Authorization header: " +
			"'AWS4-HMAC-SHA256 Credential= " + userScope + ", SignedHeaders=host, Signature=00'."},
	{name: "no Signature", auth: "AWS4-HMAC-SHA256 Credential=" + userScope + ", SignedHeaders=host;x-amz-date",
		header: map[string]string{"X-Amz-Date": amzNow}, reason: Incomplete,
		message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + userScope + ", SignedHeaders=host;x-amz-date"},
	{name: "X-Amz-Date not in basic format", auth: fullAuth, header: map[string]string{"X-Amz-Date": "2026-12-02T10:10:10Z"},
		reason: Incomplete, message: "Date must be in ISO-8601 'basic format'. Got '2026-12-02T10:10:10Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
	{name: "dated by Date", auth: fullAuth, header: map[string]string{"Date": "Wed, 02 Dec 2026 10:10:10 GMT"},
		reason: Unsupported, message: "The local cloud verifies only signatures dated by the X-Amz-Date header."},
	{name: "host not signed", auth: "AWS4-HMAC-SHA256 Credential=" + userScope + ", SignedHeaders=x-amz-date, Signature=00",
		header: map[string]string{"X-Amz-Date": amzNow}, reason: BadSignature,
		message: "'Host' must be a 'SignedHeader' in the AWS Authorization."},
	{name: "SigV4a", auth: "AWS4-ECDSA-P256-SHA256 Credential=" + userScope + ", SignedHeaders=host;x-amz-date, Signature=00",
		header: map[string]string{"X-Amz-Date": amzNow}, reason: Incomplete,
		message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "},
	{name: "four credential elements", auth: "AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/execute-api, SignedHeaders=host, Signature=00",
		header: map[string]string{"X-Amz-Date": amzNow}, reason: Incomplete,
		message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20261202/us-east-1/execute-api'"},
	{name: "every scope element wrong", auth: "AWS4-HMAC-SHA256 Credential=AKID/20261201/eu-west-1/lambda/aws5_request, SignedHeaders=host, Signature=00",
		header: map[string]string{"X-Amz-Date": amzNow}, reason: WrongScope,
		message: "Credential should be scoped to a valid region, not 'eu-west-1'. Credential should be scoped to correct service: 'execute-api'. " +
			"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261201' != '20261202', from '20261202T101010Z'."},
	{name: "a presigned URL", target: "/local/movies?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00", reason: Unsupported,
		message: "The local cloud does not verify presigned URLs (a SigV4 signature in the query string). Sign the Authorization header instead."},
}

func TestVerifyRefusesMalformedAuthorization(t *testing.T) {
	for _, tt := range malformed {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = "/local/movies"
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			if tt.target == "" {
				r.Header.Set("Authorization", tt.auth)
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			_, f := verifier(signedAt).Verify(r, nil, "execute-api")
			if f == nil {
				t.Fatal("accepted")
			}
			if f.Reason != tt.reason || f.Message != tt.message {
				t.Errorf("refused with %v\n%q\nwant %v\n%q", f.Reason, f.Message, tt.reason, tt.message)
			}
		})
	}
}
