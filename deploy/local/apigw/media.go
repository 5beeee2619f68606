package apigw

import (
	"encoding/base64"
	"mime"
	"strings"
	"unicode/utf8"
)

// binaryMedia reports whether the first media type of header (a
// Content-Type, or an Accept list) matches one of a REST API's
// binaryMediaTypes, as API Gateway matches them:
//   - only the first media type of an Accept header counts ("If a request
//     contains multiple media types in its Accept header, API Gateway
//     honors only the first Accept media type", "Content type conversions
//     in API Gateway");
//   - "*/*" matches every type ("Binary media types for REST APIs");
//   - "type/*" matches any subtype of type, a wildcard on the left
//     ("*/test") matches nothing, and an Accept of "*/*" or "image/*"
//     matches only the same string (LocalStack's
//     test_aws_proxy_binary_response, recorded against AWS).
func binaryMedia(types []string, header string) bool {
	first, _, _ := strings.Cut(header, ",")
	mt, _, err := mime.ParseMediaType(first)
	if err != nil {
		return false
	}
	typ, sub, _ := strings.Cut(mt, "/")
	for _, b := range types {
		bt, bs, ok := strings.Cut(strings.ToLower(strings.TrimSpace(b)), "/")
		switch {
		case !ok:
		case bt == "*" && bs == "*":
			return true
		case bt == "*", bt != typ:
		case bs == "*" || bs == sub:
			return true
		}
	}
	return false
}

// requestBody is the proxy event's body and isBase64Encoded for a request
// body of contentType ("Content type conversions in API Gateway"): a body
// whose Content-Type matches binaryMediaTypes reaches the function as
// binary, which the proxy event carries in base64; any other is text, a
// UTF-8 string, each byte that is not UTF-8 becoming U+FFFD (binary uploads
// without binaryMediaTypes arrive corrupted on AWS, e.g.
// github.com/HHS/simpler-grants-gov issue 7647).
func requestBody(body []byte, contentType string, types []string) (string, bool) {
	if len(body) == 0 {
		return "", false
	}
	if binaryMedia(types, contentType) {
		return base64.StdEncoding.EncodeToString(body), true
	}
	return text(body), false
}

// text is b as UTF-8, each invalid byte replaced by U+FFFD.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	for _, r := range string(b) { // an invalid byte ranges as one utf8.RuneError
		s.WriteRune(r)
	}
	return s.String()
}
