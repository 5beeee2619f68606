package apigw_test

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// A base64 response is decoded only when the function says isBase64Encoded
// and the first media type of the request's Accept matches the API's
// binaryMediaTypes; otherwise the client gets the base64 text. The cases
// are LocalStack's test_aws_proxy_binary_response, recorded against AWS,
// whose API has image/png and */test (then application/*) as binary types.
func TestBinaryResponses(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	b64 := base64.StdEncoding.EncodeToString(png)
	response := func(contentType string, encoded bool) string {
		e := "false"
		if encoded {
			e = "true"
		}
		return `{"statusCode": 200, "body": "` + b64 + `", "isBase64Encoded": ` + e + `, "headers": {"Content-Type": "` + contentType + `"}}`
	}
	tests := []struct {
		name, binary, contentType, accept string
		encoded, decoded                  bool
	}{
		{"no binaryMediaTypes", "", "image/png", "image/png", true, false},
		{"Accept matches", "image/png", "image/png", "image/png", true, true},
		{"Accept another type", "image/png", "image/png", "image/jpg", true, false},
		{"Accept a wildcard", "image/png", "image/png", "image/*", true, false},
		{"left wildcard never matches", "*/test", "image/png", "*/test", true, false},
		{"left wildcard, matching type", "*/test", "image/png", "random/test", true, false},
		{"Accept */*", "image/png", "image/png", "*/*", true, false},
		{"first Accept type only, wrong", "image/png", "image/png", "image/webp,image/png,*/*;q=0.8", true, false},
		{"first Accept type only, right", "image/png", "image/png", "image/png,image/*,*/*;q=0.8", true, true},
		{"not isBase64Encoded", "image/png", "image/png", "image/png", false, false},
		{"right wildcard", "application/*", "application/test", "application/whatever", true, true},
		{"right wildcard, same string", "application/*", "application/test", "application/*", true, true},
		{"binaryMediaTypes */*", "*/*", "image/png", "text/html", true, true}, // "Binary media types for REST APIs"
		{"no Accept", "image/png", "image/png", "", true, false},
	}
	gateways := map[string]*served{} // by binaryMediaTypes
	for _, tt := range tests {
		if gateways[tt.binary] == nil {
			var types []string
			if tt.binary != "" {
				types = []string{tt.binary}
			}
			gateways[tt.binary] = gateway(t, setup{binary: types})
		}
		t.Run(tt.name, func(t *testing.T) {
			r := respond(t, gateways[tt.binary], response(tt.contentType, tt.encoded), tt.accept)
			want := []byte(b64)
			if tt.decoded {
				want = png
			}
			if r.status != 200 || !bytes.Equal(r.body, want) {
				t.Fatalf("%d %q, want %q", r.status, r.body, want)
			}
		})
	}
	// A body that is not base64 when binary support applies:
	// API_CONFIGURATION_ERROR, 500 ("Gateway response types for API Gateway").
	r := respond(t, gateways["image/png"], `{"body": "not base64!", "isBase64Encoded": true}`, "image/png")
	if r.status != 500 || string(r.body) != `{"message":"Internal server error"}` {
		t.Errorf("undecodable body: %d %s", r.status, r.body)
	}
}

// A request body whose Content-Type matches binaryMediaTypes reaches the
// function in base64 (isBase64Encoded), text or not; any other is passed as
// UTF-8 text, bytes that are not UTF-8 replaced by U+FFFD ("Content type
// conversions in API Gateway").
func TestBinaryRequests(t *testing.T) {
	s := gateway(t, setup{binary: []string{"application/octet-stream"}})
	tests := []struct {
		name, contentType string
		sent              []byte
		body              string
		encoded           bool
	}{
		{"binary type", "application/octet-stream", []byte{0xff, 0xfe, 0, 'A'}, base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe, 0, 'A'}), true},
		{"binary type, text bytes", "application/octet-stream", []byte(`{"a":1}`), base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)), true},
		{"text type", "application/json", []byte(`{"a":1}`), `{"a":1}`, false},
		{"text type, binary bytes", "application/x-other", []byte{0xff, 0xfe, 0, 'A'}, "\uFFFD\uFFFD\x00A", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := call(t, "POST", s.URL+"/test/things/x", tt.sent, map[string]string{"Content-Type": tt.contentType})
			ev := echoed(t, body)
			if ev.Body != tt.body || ev.IsBase64Encoded != tt.encoded {
				t.Fatalf("body %q isBase64Encoded %v, want %q %v", ev.Body, ev.IsBase64Encoded, tt.body, tt.encoded)
			}
		})
	}
}
