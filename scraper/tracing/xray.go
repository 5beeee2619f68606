// Package tracing is the scraper's only contact with the X-Ray SDK, kept in
// one file so that a move to OpenTelemetry touches nothing else.
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

// XRay implements scraper.Tracer.
type XRay struct{ Name string }

// RunAnnotation is the annotation that names the run on every segment and
// subsegment the scraper opens: the X-Ray filter expression
// annotation.run_id = "run-…" finds a run's trace.
const RunAnnotation = "run_id"

// Start opens a subsegment annotated with the run id.
func (XRay) Start(ctx context.Context, name, runID string) (context.Context, func(error)) {
	ctx, seg := xray.BeginSubsegment(ctx, name)
	annotate(seg, runID)
	return ctx, func(err error) { seg.Close(err) }
}

func annotate(seg *xray.Segment, runID string) {
	if seg != nil && runID != "" {
		_ = seg.AddAnnotation(RunAnnotation, runID)
	}
}

// Header is the downstream header of the (sub)segment in ctx, or of the
// Lambda invocation when no segment is open yet.
func (XRay) Header(ctx context.Context) string {
	if seg := xray.GetSegment(ctx); seg != nil {
		return seg.DownstreamHeader().String()
	}
	h, _ := ctx.Value(xray.LambdaTraceHeaderKey).(string)
	return h
}

// Resume continues the trace of h with a new segment annotated with the
// run id.
func (x XRay) Resume(ctx context.Context, h, runID string) (context.Context, func(error)) {
	if h == "" {
		return ctx, func(error) {}
	}
	req := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/"}}
	ctx, seg := xray.NewSegmentFromHeader(ctx, x.Name, req, header.FromString(h))
	annotate(seg, runID)
	return ctx, func(err error) { seg.Close(err) }
}

// TraceID is the trace id of the segment in ctx or of the Lambda
// invocation, or "".
func TraceID(ctx context.Context) string {
	if seg := xray.GetSegment(ctx); seg != nil {
		return seg.TraceID
	}
	h, _ := ctx.Value(xray.LambdaTraceHeaderKey).(string)
	return header.FromString(h).TraceID
}

// Instrument makes every call of clients built from cfg a subsegment.
func Instrument(cfg *aws.Config) { awsv2.AWSV2Instrumentor(&cfg.APIOptions) }

// Quiet sends the SDK's own logging, warnings and up, to log.
func Quiet(log *slog.Logger) { xray.SetLogger(logger{log}) }

type logger struct{ log *slog.Logger }

func (l logger) Log(level xraylog.LogLevel, msg fmt.Stringer) {
	if level >= xraylog.LogLevelWarn {
		l.log.Warn("xray", "message", msg.String())
	}
}
