package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// errMalformed is API Gateway's "Execution failed due to configuration
// error: Malformed Lambda proxy response": the client gets 502.
var errMalformed = errors.New("malformed Lambda proxy response")

// proxyResponse is a function's answer in the output format of a Lambda
// proxy integration ("Output format of a Lambda function for proxy
// integration"), as API Gateway reads it.
type proxyResponse struct {
	status  int
	headers []field // headers and multiValueHeaders, merged
	body    string
	base64  bool
}

// field is one response header: its name as the function wrote it, and its
// values in order.
type field struct {
	name   string
	values []string
}

// parseProxyResponse reads payload as API Gateway reads a Lambda proxy
// integration's output; an error wraps errMalformed. What AWS accepts, from
// LocalStack's test_aws_proxy_response_payload_format_validation and
// test_lambda_aws_proxy_response_format, recorded against AWS:
//   - a JSON object with no keys but statusCode, headers,
//     multiValueHeaders, body and isBase64Encoded (an unknown key, a string
//     or an array: 502), each of them optional ({} gives an empty 200);
//   - statusCode a number or a string of digits ("201" gives 201, "test"
//     502); here it must also be a status HTTP can carry (100–599);
//   - headers an object of strings or booleans (true is sent as "true");
//   - multiValueHeaders an object of arrays (a string instead: 502);
//   - body a string (an object: 502), isBase64Encoded a boolean.
func parseProxyResponse(payload []byte) (proxyResponse, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(payload, &raw); err != nil || raw == nil {
		return proxyResponse{}, fmt.Errorf("%w: not a JSON object", errMalformed)
	}
	p := proxyResponse{status: http.StatusOK}
	var single map[string]string
	var multi map[string][]string
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		var err error
		v := raw[key]
		switch key {
		case "statusCode":
			p.status, err = statusCode(v)
		case "headers":
			single, err = headerMap(v)
		case "multiValueHeaders":
			multi, err = multiHeaderMap(v)
		case "body": // null leaves it alone; another type is an error
			err = json.Unmarshal(v, &p.body)
		case "isBase64Encoded":
			err = json.Unmarshal(v, &p.base64)
		default:
			err = errors.New("unknown key")
		}
		if err != nil {
			return proxyResponse{}, fmt.Errorf("%w: %s: %w", errMalformed, key, err)
		}
	}
	p.headers = mergeHeaders(single, multi)
	return p, nil
}

func statusCode(v json.RawMessage) (int, error) {
	var code any
	d := json.NewDecoder(bytes.NewReader(v))
	d.UseNumber()
	if err := d.Decode(&code); err != nil {
		return 0, err
	}
	var s string
	switch c := code.(type) {
	case nil:
		return http.StatusOK, nil
	case json.Number:
		s = c.String()
	case string:
		s = c
	default:
		return 0, fmt.Errorf("%s is not a status code", v)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, fmt.Errorf("%s is not a status code", v)
	}
	return n, nil
}

// headerValue is a header value as API Gateway takes it: a string, or a
// boolean written as "true" or "false".
func headerValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("%v is not a header value", v)
}

func headerMap(v json.RawMessage) (map[string]string, error) {
	var m map[string]any
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, x := range m {
		s, err := headerValue(x)
		if err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, nil
}

func multiHeaderMap(v json.RawMessage) (map[string][]string, error) {
	var m map[string]any
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for k, x := range m {
		xs, ok := x.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: %v is not a list", k, x)
		}
		for _, x := range xs {
			s, err := headerValue(x)
			if err != nil {
				return nil, err
			}
			out[k] = append(out[k], s)
		}
	}
	return out, nil
}

// mergeHeaders merges headers into multiValueHeaders as API Gateway does:
// "If you specify values for both headers and multiValueHeaders, API
// Gateway merges them into a single list. If the same key-value pair is
// specified in both, only the values from multiValueHeaders will appear in
// the merged list" ("Output format of a Lambda function for proxy
// integration"). Names match case-insensitively and keep
// multiValueHeaders' spelling, its values first ({"tesT-Multi":
// ["value-multi"]} and {"test-multi": "value-solo"} give "tesT-Multi:
// value-multi, value-solo" in LocalStack's recording of AWS).
func mergeHeaders(single map[string]string, multi map[string][]string) []field {
	var out []field
	for _, k := range slices.Sorted(maps.Keys(multi)) {
		out = append(out, field{k, multi[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(single)) {
		v := single[k]
		i := slices.IndexFunc(out, func(f field) bool { return strings.EqualFold(f.name, k) })
		switch {
		case i < 0:
			out = append(out, field{k, []string{v}})
		case !slices.Contains(out[i].values, v):
			out[i].values = append(out[i].values, v)
		}
	}
	return out
}

// writeProxy sends the function's response: header names as the function
// wrote them (http.Header would canonicalise them), a Content-Type of
// application/json when it set none (as AWS adds), and the body decoded
// from base64 only when the function says isBase64Encoded and the request's
// Accept matches the API's binaryMediaTypes ("Binary media types for REST
// APIs": "API Gateway uses the first Accept header from clients to
// determine if a response should return binary media"); otherwise the
// base64 text itself is the body, as AWS sends it.
func writeProxy(w http.ResponseWriter, p proxyResponse, accept string, types []string) int {
	body := []byte(p.body)
	if p.base64 && binaryMedia(types, accept) {
		b, err := base64.StdEncoding.DecodeString(p.body)
		if err != nil {
			return badBinary.write(w)
		}
		body = b
	}
	h := w.Header()
	contentType := false
	for _, f := range p.headers {
		h[f.name] = append(h[f.name], f.values...)
		if strings.EqualFold(f.name, "Content-Type") {
			contentType = true
		}
	}
	if _, ok := h["Content-Type"]; contentType && !ok {
		h["Content-Type"] = nil // the function's content-type, not Go's sniffed one
	}
	if !contentType {
		h["Content-Type"] = []string{"application/json"}
	}
	w.WriteHeader(p.status)
	_, _ = w.Write(body)
	return p.status
}
