package iam

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
)

// Denied writes what the service answers a call IAM denied, for the
// permission p that was denied to principalARN: status, headers and body in
// the error shape of the call's protocol, with AWS's message. The AWS SDKs
// read it as AWS's own answer:
//
//	DynamoDB  400, __type com.amazon.coral.service#AccessDeniedException: code AccessDeniedException
//	Kinesis   400, __type AccessDeniedException: code AccessDeniedException
//	Secrets Manager  400, __type AccessDeniedException, as Kinesis
//	SQS JSON  403, x-amzn-query-error AccessDenied;Sender: code AccessDenied
//	SQS query 403, <ErrorResponse> of Type Sender, Code AccessDenied
//	Lambda    403, X-Amzn-ErrorType AccessDeniedException: code AccessDeniedException
//
// The message is IAM's: "User: <principal> is not authorized to perform:
// <action> on resource: <resource> because no identity-based policy allows
// the <action> action", or "... with an explicit deny in an identity-based
// policy" when explicit. SQS writes the action in lower case, as it does.
func Denied(w http.ResponseWriter, c Call, principalARN string, p Permission, explicit bool) {
	action := p.Action
	if c.Service == "sqs" {
		action = strings.ToLower(action)
	}
	msg := "User: " + principalARN + " is not authorized to perform: " + action + " on resource: " + p.Resource
	if explicit {
		msg += " with an explicit deny in an identity-based policy"
	} else {
		msg += " because no identity-based policy allows the " + action + " action"
	}
	id := requestID()
	w.Header().Set("X-Amzn-Requestid", id)
	switch {
	case c.Protocol == Query:
		writeQueryError(w, id, msg)
	case c.Service == "dynamodb":
		writeJSON(w, http.StatusBadRequest, "application/x-amz-json-1.0",
			jsonError{"com.amazon.coral.service#AccessDeniedException", msg})
	case c.Service == "kinesis", c.Service == "secretsmanager":
		writeJSON(w, http.StatusBadRequest, "application/x-amz-json-1.1", jsonError{"AccessDeniedException", msg})
	case c.Service == "sqs":
		// The JSON protocol in its query-compatible form: the code the
		// query protocol gives is in x-amzn-query-error, and the SDKs
		// report that one.
		w.Header().Set("X-Amzn-Query-Error", "AccessDenied;Sender")
		writeJSON(w, http.StatusForbidden, "application/x-amz-json-1.0",
			sqsError{"com.amazon.coral.service#AccessDeniedException", msg})
	default:
		w.Header().Set("X-Amzn-Errortype", "AccessDeniedException")
		writeJSON(w, http.StatusForbidden, "application/json", jsonError{Message: msg})
	}
}

// jsonError is the error body of DynamoDB, Kinesis and Lambda, its fields
// in the order AWS writes them.
type jsonError struct {
	Type    string `json:"__type,omitempty"`
	Message string `json:"Message"`
}

// sqsError is SQS's, which writes message in lower case.
type sqsError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, contentType string, body any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body)
}

// queryError is the error answer of the query protocol.
type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Namespace string   `xml:"xmlns,attr"`
	Error     struct {
		Type    string
		Code    string
		Message string
		Detail  struct{}
	}
	RequestID string `xml:"RequestId"`
}

func writeQueryError(w http.ResponseWriter, id, msg string) {
	e := queryError{Namespace: "http://queue.amazonaws.com/doc/" + sqsVersion + "/", RequestID: id}
	e.Error.Type, e.Error.Code, e.Error.Message = "Sender", "AccessDenied", msg
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`<?xml version="1.0"?>`))
	_ = xml.NewEncoder(w).Encode(e)
}

// requestID is a fresh request id in AWS's UUID form.
func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
