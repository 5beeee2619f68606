package apigw

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// trace is a request's X-Ray context. API Gateway "adds a trace header to
// incoming HTTP requests that don't already have one" (X-Ray developer
// guide, "Amazon API Gateway active tracing support for AWS X-Ray"): a
// client's valid X-Amzn-Trace-Id is continued, its Root and Parent kept;
// otherwise the gateway's segment starts a new trace.
type trace struct {
	root    string // the trace id
	parent  string // the client's segment, if it sent one
	sampled string // "1", or "0" when the client decided so
	segment string // the gateway's segment id
	sent    string // the client's header, when valid
}

// traceRoot is an X-Ray trace id: version 1, the epoch seconds in 8 hex
// digits, 24 hex digits ("X-Ray trace ID format").
var traceRoot = regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`)

var traceParent = regexp.MustCompile(`^[0-9a-f]{16}$`)

// newTrace continues the client's trace or starts one at now.
func newTrace(r *http.Request, now time.Time) trace {
	t := trace{segment: newHex(8), sampled: "1"}
	sent := r.Header.Get("X-Amzn-Trace-Id")
	for _, part := range strings.Split(sent, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case strings.EqualFold(k, "Root"):
			t.root = v
		case strings.EqualFold(k, "Parent") && traceParent.MatchString(v):
			t.parent = v
		case strings.EqualFold(k, "Sampled") && v == "0":
			t.sampled = "0"
		}
	}
	if !traceRoot.MatchString(t.root) {
		return trace{root: lambda.NewTraceID(now), segment: t.segment, sampled: "1"}
	}
	t.sent = sent
	return t
}

// function is the trace header the gateway invokes the function with, its
// segment as the parent of Lambda's.
func (t trace) function() string {
	return "Root=" + t.root + ";Parent=" + t.segment + ";Sampled=" + t.sampled
}

// response is the X-Amzn-Trace-Id the client receives: the client's own
// parent when it sent one (LocalStack's test_invocation_trace_id, recorded
// against AWS, finds the client's full header in the response).
func (t trace) response() string {
	parent := t.parent
	if parent == "" {
		parent = t.segment
	}
	return "Root=" + t.root + ";Parent=" + parent + ";Sampled=" + t.sampled
}

// event is the X-Amzn-Trace-Id request header in the proxy event: the
// client's as sent, or the Root the gateway adds (AWS's sample events and
// the X-Ray guide: "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793").
func (t trace) event() string {
	if t.sent != "" {
		return t.sent
	}
	return "Root=" + t.root
}
