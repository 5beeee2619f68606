package sigv4

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
)

// The error types (x-amzn-ErrorType) of refusals. Every refusal is a 403 with
// a JSON body {"message": …}, for API Gateway (aws/chalice#12,
// mhart/aws4#33) as for the Lambda Invoke API (erlcloud/erlcloud#690).
const (
	missingToken     = "MissingAuthenticationTokenException"
	incomplete       = "IncompleteSignatureException"
	invalidSignature = "InvalidSignatureException"
	// accessDenied is API Gateway's type for an unknown key, per the AWS KC
	// "How do I troubleshoot HTTP 403 errors from API Gateway?".
	accessDenied = "AccessDeniedException"
	// unrecognizedClient is Lambda's (iamlive#58: Lambda, 403).
	unrecognizedClient = "UnrecognizedClientException"
)

func errorType(r Reason, unknownKey string) string {
	switch r {
	case Missing:
		return missingToken
	case Incomplete, Unsupported:
		return incomplete
	case UnknownKey, BadToken:
		return unknownKey
	default:
		return invalidSignature
	}
}

// WriteAPIGateway answers f as API Gateway answers a refused call to an
// AWS_IAM method. A bad signature's message carries the canonical request
// and string to sign, as API Gateway's does (mhart/aws4#33,
// aws/aws-sdk-js#2372).
func WriteAPIGateway(w http.ResponseWriter, f *Failure) {
	msg := f.Message
	if f.Reason == BadSignature && f.CanonicalRequest != "" {
		msg += "\n\nThe Canonical String for this request should have been\n'" + f.CanonicalRequest +
			"'\n\nThe String-to-Sign should have been\n'" + f.StringToSign + "'\n"
	}
	write(w, errorType(f.Reason, accessDenied), msg)
}

// WriteLambda answers f as the Lambda Invoke API does: the message alone
// (erlcloud/erlcloud#690: a 192-byte body), without the "Type" member of
// Lambda's other errors.
func WriteLambda(w http.ResponseWriter, f *Failure) {
	write(w, errorType(f.Reason, unrecognizedClient), f.Message)
}

func write(w http.ResponseWriter, errType, msg string) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Message string `json:"message"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", errType)
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// WriteQuery answers f as the query-protocol services (CloudFormation,
// STS) do: 403 and an ErrorResponse document in the service's namespace,
// with their codes for each reason.
func WriteQuery(w http.ResponseWriter, f *Failure, xmlns string) {
	code := map[Reason]string{Missing: "MissingAuthenticationToken", Incomplete: "IncompleteSignature", Unsupported: "IncompleteSignature",
		UnknownKey: "InvalidClientTokenId", BadToken: "InvalidClientTokenId"}[f.Reason]
	if code == "" {
		code = "SignatureDoesNotMatch"
	}
	doc := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type, Code, Message string
		}
		RequestID string `xml:"RequestId"`
	}{Xmlns: xmlns, RequestID: "00000000-0000-0000-0000-000000000000"}
	doc.Error.Type, doc.Error.Code, doc.Error.Message = "Sender", code, f.Message
	b, _ := xml.Marshal(doc)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

// WriteS3 answers f as S3 does: 403 and an Error document with S3's codes.
func WriteS3(w http.ResponseWriter, f *Failure) {
	code := map[Reason]string{Missing: "AccessDenied", Incomplete: "AuthorizationHeaderMalformed", Unsupported: "AuthorizationHeaderMalformed",
		WrongScope: "AuthorizationHeaderMalformed", UnknownKey: "InvalidAccessKeyId", BadToken: "InvalidToken", Expired: "RequestTimeTooSkewed"}[f.Reason]
	if code == "" {
		code = "SignatureDoesNotMatch"
	}
	b, _ := xml.Marshal(struct {
		XMLName       xml.Name `xml:"Error"`
		Code, Message string
	}{Code: code, Message: f.Message})
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}
