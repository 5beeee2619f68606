// Package tracing is the query API's only contact with the X-Ray SDK: its
// DynamoDB calls become subsegments of the invocation's segment.
package tracing

import (
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-xray-sdk-go/v2/instrumentation/awsv2"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
	"github.com/aws/aws-xray-sdk-go/v2/xraylog"
)

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
