// Command fn is the test function of the local cloud's conformance tests,
// built as a real bootstrap: its event says what to do.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	SleepMs int             `json:"sleepMs"`
	Panic   bool            `json:"panic"`
	Exit    int             `json:"exit"`
	Error   string          `json:"error"`
	Reply   json.RawMessage `json:"reply"`
}

type reply struct {
	RequestID   string          `json:"requestId"`
	FunctionARN string          `json:"functionArn"`
	DeadlineMs  int64           `json:"deadlineMs"`
	TraceID     string          `json:"traceId"`
	PID         int             `json:"pid"`
	Env         string          `json:"env"`
	Event       json.RawMessage `json:"event"`
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		os.Exit(3)
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (any, error) {
		var ev event
		_ = json.Unmarshal(raw, &ev)
		switch {
		case ev.SleepMs > 0:
			time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
		case ev.Panic:
			panic("the test asked for a panic")
		case ev.Exit != 0:
			os.Exit(ev.Exit)
		case ev.Error != "":
			return nil, errors.New(ev.Error)
		}
		if ev.Reply != nil {
			return ev.Reply, nil
		}
		lc, _ := lambdacontext.FromContext(ctx)
		dl, _ := ctx.Deadline()
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		return reply{RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, DeadlineMs: dl.UnixMilli(),
			TraceID: trace, PID: os.Getpid(), Env: os.Getenv("TEST_VALUE"), Event: raw}, nil
	})
}
