// Command fn is the test function of the local cloud's conformance tests,
// built as a real bootstrap: its event says what to do.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	SleepMs  int             `json:"sleepMs"`
	WaitFile string          `json:"waitFile"` // block until this file exists
	Panic    bool            `json:"panic"`
	Exit     int             `json:"exit"`
	Error    string          `json:"error"`
	Log      string          `json:"log"`      // print this to stdout first
	BigReply int             `json:"bigReply"` // reply with a string of this many bytes
	Environ  bool            `json:"environ"`  // reply with the whole environment
	Reply    json.RawMessage `json:"reply"`
}

type reply struct {
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMs  int64             `json:"deadlineMs"`
	TraceID     string            `json:"traceId"`
	PID         int               `json:"pid"`
	Env         string            `json:"env"`
	Custom      map[string]string `json:"custom"` // the client context's
	Event       json.RawMessage   `json:"event"`
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		os.Exit(3)
	}
	if typ := os.Getenv("INIT_ERROR_TYPE"); typ != "" {
		initError(typ, os.Getenv("INIT_ERROR_BODY"))
	}
	lambda.Start(handle)
}

// initError reports an init error as a custom runtime does, and exits.
func initError(typ, body string) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+os.Getenv("AWS_LAMBDA_RUNTIME_API")+"/2018-06-01/runtime/init/error",
		strings.NewReader(body))
	req.Header.Set("Lambda-Runtime-Function-Error-Type", typ)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	os.Exit(1)
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	_ = json.Unmarshal(raw, &ev)
	if ev.Log != "" {
		fmt.Println(ev.Log)
	}
	switch {
	case ev.SleepMs > 0:
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	case ev.WaitFile != "":
		for _, err := os.Stat(ev.WaitFile); err != nil; _, err = os.Stat(ev.WaitFile) {
			time.Sleep(5 * time.Millisecond)
		}
	case ev.Panic:
		panic("the test asked for a panic")
	case ev.Exit != 0:
		os.Exit(ev.Exit)
	case ev.Error != "":
		return nil, errors.New(ev.Error)
	case ev.BigReply > 0:
		return strings.Repeat("x", ev.BigReply), nil
	case ev.Environ:
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return env, nil
	}
	if ev.Reply != nil {
		return ev.Reply, nil
	}
	lc, _ := lambdacontext.FromContext(ctx)
	dl, _ := ctx.Deadline()
	trace, _ := ctx.Value("x-amzn-trace-id").(string)
	return reply{RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, DeadlineMs: dl.UnixMilli(),
		TraceID: trace, PID: os.Getpid(), Env: os.Getenv("TEST_VALUE"), Custom: lc.ClientContext.Custom, Event: raw}, nil
}
