// Package logslocal is the local cloud's CloudWatch Logs API as far as osls
// uses it for this project: DeleteLogGroup, which osls's update-stage.js
// sends after every deploy of a REST API whose access logging is off
// (provider.logs.restApi unset), for /aws/api-gateway/{service}-{stage}, to
// clear a group a past deploy may have left. It speaks the AWS JSON 1.1
// protocol of the AWS SDKs ("Logs_20140328" targets); every other
// operation is refused with UnknownOperationException naming it.
//
// The log groups are the local cloud's (Groups); the texts and types of
// the answers are CloudWatch Logs' (API Reference, DeleteLogGroup).
package logslocal

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awsjson"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// ErrNotFound is what Groups returns for a log group it does not have.
var ErrNotFound = errors.New("log group not found")

// Groups is the local cloud's log groups.
type Groups interface {
	// DeleteLogGroup deletes the group named name. It returns ErrNotFound
	// if there is none; any other error refuses the deletion, and its text
	// is sent to the caller (InvalidOperationException).
	DeleteLogGroup(name string) error
}

// New returns CloudWatch Logs over groups; nil groups has no log group (a
// deletion is always ResourceNotFoundException). verify checks each
// request's SigV4 signature (service "logs") before anything else; nil
// checks nothing (tests of the API alone).
func New(groups Groups, verify func(r *http.Request, body []byte) *sigv4.Failure) http.Handler {
	return &awsjson.Service{Name: "CloudWatch Logs", Prefix: "Logs_20140328", Verify: verify,
		Operations: map[string]awsjson.Operation{
			"DeleteLogGroup": func(body []byte) (any, *awsjson.Error) { return deleteLogGroup(groups, body) },
		}}
}

// groupName is a log group name's pattern; its length is 1 to 512.
var groupName = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)

func deleteLogGroup(groups Groups, body []byte) (any, *awsjson.Error) {
	var in struct {
		LogGroupName *string `json:"logGroupName"`
	}
	if e := awsjson.Decode(body, &in); e != nil {
		return nil, e
	}
	if e := checkName(in.LogGroupName); e != nil {
		return nil, e
	}
	err := ErrNotFound
	if groups != nil {
		err = groups.DeleteLogGroup(*in.LogGroupName)
	}
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, ErrNotFound):
		// The text every SDK user sees (e.g. the Rust SDK's and convox's
		// fixtures of real answers): 400 ResourceNotFoundException.
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Type: "ResourceNotFoundException",
			Message: "The specified log group does not exist."}
	default:
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Type: "InvalidOperationException", Message: err.Error()}
	}
}

// checkName applies logGroupName's constraints as CloudWatch Logs words
// their violation: "1 validation error detected: Value null at
// 'logGroupName' failed to satisfy constraint: Member must not be null"
// (an AWS .NET SDK user's log), and the pattern's message as the AWS CLI
// prints it, InvalidParameterException.
func checkName(name *string) *awsjson.Error {
	invalid := func(format string, a ...any) *awsjson.Error {
		return &awsjson.Error{Status: http.StatusBadRequest, Type: "InvalidParameterException",
			Message: "1 validation error detected: " + fmt.Sprintf(format, a...)}
	}
	switch {
	case name == nil:
		return invalid("Value null at 'logGroupName' failed to satisfy constraint: Member must not be null")
	case *name == "":
		return invalid("Value '' at 'logGroupName' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(*name) > 512:
		return invalid("Value '%s' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512", *name)
	case !groupName.MatchString(*name):
		return invalid(`Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`, *name)
	}
	return nil
}
