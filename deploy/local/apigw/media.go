package apigw

import (
	"mime"
	"strings"
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
