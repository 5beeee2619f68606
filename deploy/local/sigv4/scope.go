package sigv4

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	// amzDate is X-Amz-Date's layout, ISO-8601 basic format.
	amzDate = "20060102T150405Z"
	// skew is how far from now X-Amz-Date may be, either way, for API
	// Gateway and Lambda: "(… - 5 min.)" in aws-amplify/aws-sdk-android#253
	// (API Gateway) and motdotla/node-lambda#382 (Lambda).
	skew = 5 * time.Minute
)

// signingTime reads X-Amz-Date. A request dated only by the Date header,
// which AWS accepts, is refused: the SDK's signer always signs X-Amz-Date.
func signingTime(h http.Header) (time.Time, *Failure) {
	d := h.Get("X-Amz-Date")
	if d == "" {
		return time.Time{}, &Failure{Reason: Unsupported,
			Message: "The local cloud verifies only signatures dated by the X-Amz-Date header.",
			Detail:  "request dated by the Date header"}
	}
	t, err := time.Parse(amzDate, d)
	if err != nil {
		// mhart/dynalite validations.js, a captured AWS answer.
		return time.Time{}, fail(Incomplete, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", d)
	}
	return t, nil
}

// checkClock refuses a signing time more than 5 minutes from now, in the
// words of aws-amplify/aws-sdk-android#253 (expired, API Gateway) and
// serverless/enterprise#11 (not yet current).
func checkClock(at, now time.Time) *Failure {
	now = now.UTC().Truncate(time.Second)
	switch {
	case at.Before(now.Add(-skew)):
		return fail(Expired, "Signature expired: %s is now earlier than %s (%s - 5 min.)",
			at.Format(amzDate), now.Add(-skew).Format(amzDate), now.Format(amzDate))
	case at.After(now.Add(skew)):
		return fail(Expired, "Signature not yet current: %s is still later than %s (%s + 5 min.)",
			at.Format(amzDate), now.Add(skew).Format(amzDate), now.Format(amzDate))
	}
	return nil
}

// scope is a parsed Credential: keyid/date/region/service/aws4_request.
type scope struct {
	accessKeyID, date, region, service, terminator string
}

func parseScope(credential string) (scope, *Failure) {
	parts := strings.Split(strings.TrimRight(credential, "/"), "/")
	if len(parts) != 5 {
		// mhart/dynalite validations.js, a captured AWS answer.
		return scope{}, fail(Incomplete,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", credential)
	}
	return scope{accessKeyID: parts[0], date: parts[1], region: parts[2], service: parts[3], terminator: parts[4]}, nil
}

// check lists every way s differs from the expected scope in one answer. The
// texts: AWS IAM User Guide "Troubleshoot signed requests for AWS APIs"
// (credential scope errors); the region text as API Gateway sends it, with
// its trailing space, in zenn.dev/hiroga "API Gateway cross-account
// troubleshooting"; all four together in mhart/dynalite's validations.js.
func (s scope) check(region, service string, at time.Time) *Failure {
	var msg strings.Builder
	if s.region != region {
		fmt.Fprintf(&msg, "Credential should be scoped to a valid region, not '%s'. ", s.region)
	}
	if s.service != service {
		fmt.Fprintf(&msg, "Credential should be scoped to correct service: '%s'. ", service)
	}
	if s.terminator != "aws4_request" {
		fmt.Fprintf(&msg, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", s.terminator)
	}
	if day := at.Format("20060102"); s.date != day {
		fmt.Fprintf(&msg, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			s.date, day, at.Format(amzDate))
	}
	if msg.Len() == 0 {
		return nil
	}
	return fail(WrongScope, "%s", msg.String())
}
