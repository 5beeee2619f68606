// Package tracing is the processor's only contact with the X-Ray SDK, kept in
// one file so that a move to OpenTelemetry touches nothing else.
//
// Kinesis does not carry trace context, so each record carries its producer's
// trace header; Record continues that trace with a segment of its own, and the
// instrumented DynamoDB client adds its calls as subsegments of it.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/v2/header"
	"github.com/aws/aws-xray-sdk-go/v2/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/aws/aws-xray-sdk-go/v2/xraylog"
)

// XRay continues record traces with X-Ray segments named Name.
type XRay struct{ Name string }

// Record starts a segment that continues the trace of header, or a
// subsegment of the invocation when the record carries no header. It is
// annotated with the movie id and the run id (movie_id, run_id), so a trace
// can be searched by film and by run. A header that says Sampled=0 gives a
// segment that is never sent: the record names its trace, nothing more.
func (x XRay) Record(ctx context.Context, traceHeader, movieID, runID string) (context.Context, func(error)) {
	var seg *xray.Segment
	if traceHeader == "" {
		ctx, seg = xray.BeginSubsegment(ctx, x.Name+" record")
	} else {
		// A non-nil request makes the SDK honour the header's sampling decision.
		req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/"}}
		ctx, seg = xray.NewSegmentFromHeader(ctx, x.Name, req, header.FromString(traceHeader))
	}
	if movieID != "" {
		_ = seg.AddAnnotation("movie_id", movieID)
	}
	if runID != "" {
		_ = seg.AddAnnotation("run_id", runID)
	}
	return ctx, func(err error) { seg.Close(err) }
}

// Instrument makes every call of clients built from cfg a subsegment.
func Instrument(cfg *aws.Config) { awsv2.AWSV2Instrumentor(&cfg.APIOptions) }

// Quiet sends the SDK's own logging, warnings and up, to log.
func Quiet(log *slog.Logger) {
	xray.SetLogger(logger{log})
}

type logger struct{ log *slog.Logger }

func (l logger) Log(level xraylog.LogLevel, msg fmt.Stringer) {
	if level >= xraylog.LogLevelWarn {
		l.log.Warn("xray", "message", msg.String())
	}
}
