package sigv4

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// algorithm is the only signing algorithm verified.
const algorithm = "AWS4-HMAC-SHA256"

// authorization is a parsed Authorization header.
type authorization struct {
	raw        string
	algorithm  string
	credential string
	// signedHeaders are the lower-cased names of SignedHeaders, in order.
	signedHeaders []string
	signature     string
}

// readAuthorization parses r's Authorization header as AWS does: the first
// word is the algorithm, the rest key=value pairs separated by commas or
// spaces. The texts are AWS's, captured in the issues cited.
func readAuthorization(r *http.Request) (authorization, *Failure) {
	values, ok := r.Header["Authorization"]
	if !ok {
		if q := r.URL.Query(); q.Has("X-Amz-Signature") || q.Has("X-Amz-Algorithm") {
			return authorization{}, &Failure{Reason: Unsupported,
				Message: "The local cloud does not verify presigned URLs (a SigV4 signature in the query string). " +
					"Sign the Authorization header instead.",
				Detail: "presigned URL"}
		}
		// AWS KC "How do I troubleshoot HTTP 403 errors from API Gateway?";
		// aws/chalice#12 (API Gateway); brefphp/bref#1250 (Lambda Invoke).
		return authorization{}, fail(Missing, "Missing Authentication Token")
	}
	a := authorization{raw: values[0]}
	alg, rest, _ := strings.Cut(strings.TrimSpace(a.raw), " ")
	a.algorithm = alg
	params := map[string]string{}
	for _, pair := range strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			// IncompleteSignatureException texts quoted in aws/aws-sdk-go#289,
			// RhinoSecurityLabs/IPRotate_Burp_Extension#25.
			return a, fail(Incomplete, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", pair, a.raw)
		}
		params[k] = v
	}
	a.credential, a.signature = params["Credential"], params["Signature"]
	if sh := params["SignedHeaders"]; sh != "" {
		a.signedHeaders = strings.Split(strings.ToLower(sh), ";")
	}
	if f := requireParts(r.Header, params, a.raw); f != nil {
		return a, f
	}
	return a, nil
}

// requireParts lists every missing part in one answer, as API Gateway does
// for a JWT sent to an AWS_IAM method (aws/chalice#828, 403), as an AWS
// front end does for an empty header (aws-samples/
// amazon-elasticsearch-service-with-authentication#4) and as
// mhart/dynalite's validations.js records AWS doing.
func requireParts(h http.Header, params map[string]string, raw string) *Failure {
	var msg strings.Builder
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			fmt.Fprintf(&msg, "Authorization header requires '%s' parameter. ", k)
		}
	}
	if h.Get("X-Amz-Date") == "" && h.Get("Date") == "" {
		msg.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	if msg.Len() == 0 {
		return nil
	}
	return fail(Incomplete, "%sAuthorization=%s", msg.String(), raw)
}

// checkForm checks that host is signed and the algorithm is SigV4's, in the
// order and words of the AWS answers recorded in mhart/dynalite's
// validations.js.
func (a authorization) checkForm() *Failure {
	if !slices.Contains(a.signedHeaders, "host") {
		return fail(BadSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if a.algorithm != algorithm {
		return fail(Incomplete, "Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). ", a.algorithm)
	}
	return nil
}
