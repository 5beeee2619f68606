package apigw_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// respond has the test function answer with response, exactly, and returns
// what the client receives.
func respond(t *testing.T, s *served, response, accept string) rawResponse {
	t.Helper()
	head := "POST /test/things/respond HTTP/1.1\nHost: gw\nContent-Type: application/json\nConnection: close\n"
	if accept != "" {
		head += "Accept: " + accept + "\n"
	}
	return raw(t, s, head+fmt.Sprintf("Content-Length: %d\n\n", len(response))+response)[0]
}

// header is the values of the response lines named name, exactly.
func (r rawResponse) header(name string) []string {
	var out []string
	for _, l := range r.lines {
		if n, v, _ := strings.Cut(l, ": "); n == name {
			out = append(out, v)
		}
	}
	return out
}

// A function's response is validated as API Gateway validates a Lambda
// proxy integration's output; each case below is one LocalStack recorded
// against AWS (tests/aws/services/apigateway/test_apigateway_lambda.py),
// unless marked.
func TestProxyResponseValidation(t *testing.T) {
	s := gateway(t, setup{})
	internal := `{"message":"Internal server error"}`
	tests := []struct {
		name, response string
		status         int
		body           string
	}{
		{"status only", `{"statusCode": 200}`, 200, ""},
		{"empty object", `{}`, 200, ""},
		{"headers only", `{"headers": {"test-header": "value"}}`, 200, ""},
		{"null headers", `{"statusCode": 200, "headers": null}`, 200, ""},
		{"status as a string", `{"statusCode": "201"}`, 201, ""},
		{"base64 without binaryMediaTypes", `{"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": true}`, 200, "dGVzdC1kYXRh"},
		{"unknown key", `{"statusCode": 200, "wrongValue": "value"}`, 502, internal},
		{"status not a number", `{"statusCode": "test"}`, 502, internal},
		{"a string", `"justAString"`, 502, internal},
		{"multiValueHeaders not lists", `{"statusCode": 200, "multiValueHeaders": {"test-multi-invalid": "value1"}}`, 502, internal},
		{"body an object", `{"statusCode": 200, "body": {"hey": "dude"}}`, 502, internal}, // vincentsarago/lambda-proxy#59
		{"null", `null`, 502, internal},
		{"status no HTTP status (local rule)", `{"statusCode": 1000}`, 502, internal},
		{"isBase64Encoded a string (local rule)", `{"statusCode": 200, "isBase64Encoded": "true"}`, 502, internal},
		{"key in another case (local rule)", `{"StatusCode": 200}`, 502, internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := respond(t, s, tt.response, "")
			if r.status != tt.status || string(r.body) != tt.body {
				t.Fatalf("%d %q, want %d %q", r.status, r.body, tt.status, tt.body)
			}
			if tt.status == 502 && !slices.Equal(r.header("x-amzn-ErrorType"), []string{"InternalServerErrorException"}) {
				t.Errorf("x-amzn-ErrorType %q", r.header("x-amzn-ErrorType"))
			}
		})
	}
}

// headers and multiValueHeaders are merged as API Gateway merges them, the
// names written as the function wrote them: multiValueHeaders first and
// naming the header, a pair in both sent once; and application/json when
// the function sets no Content-Type.
func TestResponseHeadersMerged(t *testing.T) {
	s := gateway(t, setup{})
	r := respond(t, s, `{"statusCode": 200,
		"multiValueHeaders": {"tesT-Multi": ["value-multi"], "Set-Cookie": ["a=1", "b=2"], "x-same": ["1"]},
		"headers": {"test-multi": "value-solo", "x-same": "1", "header-bool": true, "x-lower": "v"}}`, "")
	want := map[string][]string{
		"tesT-Multi": {"value-multi", "value-solo"}, "test-multi": nil, "Set-Cookie": {"a=1", "b=2"},
		"x-same": {"1"}, "header-bool": {"true"}, "x-lower": {"v"}, "X-Lower": nil, "Content-Type": {"application/json"},
	}
	for name, values := range want {
		if got := r.header(name); !slices.Equal(got, values) {
			t.Errorf("%s: %q, want %q (all: %q)", name, got, values, r.lines)
		}
	}
	r = respond(t, s, `{"statusCode": 200, "headers": {"content-type": "text/csv"}, "body": "a,b"}`, "")
	if !slices.Equal(r.header("content-type"), []string{"text/csv"}) || r.header("Content-Type") != nil {
		t.Errorf("the function's content-type: %q", r.lines)
	}
}
