package apigw

import (
	"encoding/json"
	"net/http"
)

// answer is one of API Gateway's own responses (a gateway response type, at
// its default status and body): the status, the {"message": …} body and the
// x-amzn-ErrorType header AWS sends with it.
//
// Sources: "Gateway response types for API Gateway" (default status codes);
// "Handling Lambda errors with an API Gateway API" in the Lambda developer
// guide (500 when Lambda rejects the invocation, 502 for a function error or
// a malformed response, both {"message": "Internal server error"}); the
// error types are those in LocalStack's tests recorded against AWS
// (tests/aws/services/apigateway/*.snapshot.json: InternalServerErrorException
// on 500 and 502, MissingAuthenticationTokenException) and its gateway
// responses (BadRequestException, TooManyRequestsException).
type answer struct {
	status    int
	message   string
	errorType string
}

var (
	// missingToken answers an unknown resource or method
	// (MISSING_AUTHENTICATION_TOKEN).
	missingToken = answer{http.StatusForbidden, "Missing Authentication Token", "MissingAuthenticationTokenException"}
	// forbidden answers a path outside the stage (the error type API
	// Gateway sends with its other "Forbidden", an invalid API key).
	forbidden = answer{http.StatusForbidden, "Forbidden", "ForbiddenException"}
	// stageThrottled answers a request over the method's stage throttling
	// (THROTTLED, 429).
	stageThrottled = answer{http.StatusTooManyRequests, "Too Many Requests", "TooManyRequestsException"}
	// invocationRejected answers when Lambda refuses the invocation, as it
	// does a throttled one (TooManyRequestsException): 500, not 429.
	invocationRejected = answer{http.StatusInternalServerError, "Internal server error", "InternalServerErrorException"}
	// badBinary answers a base64 response body that does not decode when
	// binary support applies (API_CONFIGURATION_ERROR, 500).
	badBinary = answer{http.StatusInternalServerError, "Internal server error", "InternalServerErrorException"}
	// functionFailed answers a function error or a malformed proxy
	// response (502).
	functionFailed = answer{http.StatusBadGateway, "Internal server error", "InternalServerErrorException"}
	// timedOut answers after the integration timeout (INTEGRATION_TIMEOUT,
	// 504); the function runs on.
	timedOut = answer{http.StatusGatewayTimeout, "Endpoint request timed out", "InternalServerErrorException"}
)

// badParameters answers a request its method's validator refuses
// (BAD_REQUEST_PARAMETERS, 400).
func badParameters(msg string) answer {
	return answer{http.StatusBadRequest, msg, "BadRequestException"}
}

// write sends the answer and returns its status.
func (a answer) write(w http.ResponseWriter) int {
	w.Header().Set("Content-Type", "application/json")
	w.Header()["x-amzn-ErrorType"] = []string{a.errorType}
	w.WriteHeader(a.status)
	b, _ := json.Marshal(map[string]string{"message": a.message})
	_, _ = w.Write(b)
	return a.status
}

// tooLarge answers a request body over API Gateway's 10 MB payload quota as
// AWS does, in plain text (a response recorded from AWS in
// github.com/koki-develop/lgtm-generator issue 10).
func tooLarge(w http.ResponseWriter) int {
	w.Header().Set("Content-Type", "text; charset=utf-8")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_, _ = w.Write([]byte("HTTP content length exceeded 10485760 bytes."))
	return http.StatusRequestEntityTooLarge
}
