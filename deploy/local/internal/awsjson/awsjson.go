// Package awsjson is the server side of the AWS JSON 1.1 protocol, the one
// CloudWatch Logs and ECR speak: a POST to "/" naming its operation in
// X-Amz-Target ("Logs_20140328.DeleteLogGroup"), a JSON body each way, and
// errors as {"__type": …, "message": …} with the type in X-Amzn-ErrorType
// too. A Service verifies the signature, finds the operation and answers;
// an operation it does not list is refused by name.
package awsjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// Error is an error answered in the protocol's shape.
type Error struct {
	Status  int
	Type    string
	Message string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Operation answers one operation: the result to encode, or an error.
type Operation func(body []byte) (any, *Error)

// Service serves a JSON 1.1 API.
type Service struct {
	// Name is the service's name in refusals ("CloudWatch Logs").
	Name string
	// Prefix is the X-Amz-Target prefix ("Logs_20140328").
	Prefix string
	// Operations are the operations answered, by name.
	Operations map[string]Operation
	// Verify checks the request's SigV4 signature before anything else;
	// nil checks nothing (tests of the API alone).
	Verify func(r *http.Request, body []byte) *sigv4.Failure
}

// maxBody bounds a request: the operations served here take a few names.
const maxBody = 1 << 20

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		WriteError(w, &Error{http.StatusBadRequest, "SerializationException", "the request body could not be read, or is over 1 MiB"})
		return
	}
	if s.Verify != nil {
		if f := s.Verify(r, body); f != nil {
			WriteError(w, Refusal(f))
			return
		}
	}
	name, e := s.operation(r)
	if e != nil {
		WriteError(w, e)
		return
	}
	op, ok := s.Operations[name]
	if !ok {
		WriteError(w, &Error{http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("%s is not an operation the local %s emulates", name, s.Name)})
		return
	}
	result, e := op(body)
	if e != nil {
		WriteError(w, e)
		return
	}
	write(w, http.StatusOK, "", result)
}

// operation reads the operation's name from X-Amz-Target.
func (s *Service) operation(r *http.Request) (string, *Error) {
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, s.Prefix+".")
	if r.Method != http.MethodPost || !ok || name == "" {
		return "", &Error{http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("the local %s takes POST requests naming %s.<Operation> in X-Amz-Target, not %s %q", s.Name, s.Prefix, r.Method, target)}
	}
	return name, nil
}

// Decode reads an operation's input; an empty body is an empty input.
func Decode(body []byte, v any) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{http.StatusBadRequest, "SerializationException", "the request body is not the operation's JSON input: " + err.Error()}
	}
	return nil
}

// Refusal is how a JSON service answers a signature it refuses: 400 with
// the error types DynamoDB, CloudWatch Logs and Cognito send, e.g. "400 Bad
// Request {"__type":"UnrecognizedClientException","message":"The security
// token included in the request is invalid."}" (ArranJacques/
// laravel-aws-cognito-auth#25), in sigv4's words.
func Refusal(f *sigv4.Failure) *Error {
	typ := "InvalidSignatureException"
	switch f.Reason {
	case sigv4.Missing:
		typ = "MissingAuthenticationTokenException"
	case sigv4.Incomplete, sigv4.Unsupported:
		typ = "IncompleteSignatureException"
	case sigv4.UnknownKey, sigv4.BadToken:
		typ = "UnrecognizedClientException"
	}
	return &Error{http.StatusBadRequest, typ, f.Message}
}

// WriteError answers e.
func WriteError(w http.ResponseWriter, e *Error) {
	write(w, e.Status, e.Type, struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Type, e.Message})
}

func write(w http.ResponseWriter, status int, errType string, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if v == nil {
		v = struct{}{}
	}
	if err := enc.Encode(v); err != nil {
		status, errType = http.StatusInternalServerError, "InternalFailure"
		b.Reset()
		b.WriteString(`{"__type":"InternalFailure","message":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if errType != "" {
		w.Header().Set("X-Amzn-Errortype", errType)
	}
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
