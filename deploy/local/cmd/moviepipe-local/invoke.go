package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
)

const invokeUsage = "usage: moviepipe-local invoke FUNCTION [-e event.json | -e -] [-type RequestResponse|Event]"

// invokeArgs are invoke's command line.
type invokeArgs struct {
	function, event string
	async           bool
}

func parseInvoke(args []string, stderr io.Writer) (invokeArgs, error) {
	var a invokeArgs
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.event, "e", "", "the event: a JSON file, or - for standard input [{}]")
	typ := fs.String("type", "RequestResponse", "RequestResponse: wait for the result; Event: queue it (asynchronous)")
	var err error
	if a.function, err = parseWithFunction(fs, args); err != nil {
		return a, err
	}
	if a.function == "" || (*typ != "RequestResponse" && *typ != "Event") {
		return a, errors.New("a FUNCTION and a -type of RequestResponse or Event")
	}
	a.async = *typ == "Event"
	return a, nil
}

// parseWithFunction parses a command line whose one FUNCTION may stand
// before or after the flags, and returns it ("" if there is none).
func parseWithFunction(fs *flag.FlagSet, args []string) (string, error) {
	var fn string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		fn, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	switch {
	case fn == "" && fs.NArg() == 1:
		fn = fs.Arg(0)
	case fs.NArg() > 0:
		return "", errors.New("at most one FUNCTION")
	}
	return fn, nil
}

// invoke calls a function of the cloud running in dir, or of one started
// for the call, through its Lambda Invoke API, signed with the operator's
// credentials, and prints the result on stdout; the function's error and
// the tail of its log go to stderr. A function error exits 1, a bad
// command line or event 2.
func invoke(ctx context.Context, root, dir string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a, err := parseInvoke(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, invokeUsage)
		return 2
	}
	payload, err := readEvent(a.event, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 2
	}
	s, stop, err := cloudFor(ctx, root, dir, a.async, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	defer stop()
	name, err := functionNamed(s, a.function)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 2
	}
	in := &lambda.InvokeInput{FunctionName: &name, Payload: payload, LogType: types.LogTypeTail}
	if a.async {
		in.InvocationType, in.LogType = types.InvocationTypeEvent, types.LogTypeNone
	}
	out, err := lambdaClient(s).Invoke(ctx, in)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local: invoke", name+":", err)
		return 1
	}
	return report(out, a.async, stdout, stderr)
}

// cloudFor is the state of the cloud running in dir or, when there is
// none, of a cloud started for one synchronous call (in a directory of its
// own) and stopped by stop. An asynchronous call needs a running cloud: one
// started for it would stop before the event runs.
func cloudFor(ctx context.Context, root, dir string, async bool, stderr io.Writer) (s cloud.State, stop func(), err error) {
	s, err = cloud.Running(dir)
	if !errors.Is(err, cloud.ErrNotRunning) {
		return s, func() {}, err
	}
	if async {
		return s, nil, fmt.Errorf("%w; -type Event needs one, make up starts it (a cloud started for the call would stop before the event runs)", err)
	}
	fmt.Fprintf(stderr, "moviepipe-local: %v: starting one for this call, stopped after it\n", err)
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard})
	if err != nil {
		return s, nil, err
	}
	return c.State, c.Close, nil
}

// report prints an invocation's outcome.
func report(out *lambda.InvokeOutput, async bool, stdout, stderr io.Writer) int {
	id, _ := middleware.GetRequestIDMetadata(out.ResultMetadata)
	if async {
		fmt.Fprintf(stdout, "queued: status %d, request id %s (its log: make logs FOLLOW=1)\n", out.StatusCode, id)
		return 0
	}
	fmt.Fprintf(stdout, "%s\n", out.Payload)
	if out.LogResult != nil {
		tail, _ := base64.StdEncoding.DecodeString(*out.LogResult)
		fmt.Fprintf(stderr, "--- log tail, request id %s ---\n", id)
		for line := range bytes.Lines(tail) { // readable, as make logs prints them
			fmt.Fprintf(stderr, "%s\n", readable(bytes.TrimSuffix(line, []byte("\n"))))
		}
	}
	if out.FunctionError == nil {
		return 0
	}
	var e struct{ ErrorType, ErrorMessage string }
	_ = json.Unmarshal(out.Payload, &e)
	fmt.Fprintf(stderr, "function error (%s): %s: %s\n", *out.FunctionError, e.ErrorType, e.ErrorMessage)
	return 1
}

// readEvent reads the event: a file, standard input ("-"), or {} ("").
// What is not JSON is an error naming the source, the line and column.
func readEvent(path string, stdin io.Reader) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	switch path {
	case "":
		return []byte("{}"), nil
	case "-":
		path = "standard input"
		b, err = io.ReadAll(stdin)
	default:
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("event %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			line, col := position(b, syntax.Offset)
			return nil, fmt.Errorf("event %s: not JSON: line %d, column %d: %w", path, line, col, err)
		}
		return nil, fmt.Errorf("event %s: not JSON: %w", path, err)
	}
	return b, nil
}

// position is the line and column of the byte at offset.
func position(b []byte, offset int64) (line, col int) {
	before := b[:min(int(offset), len(b))]
	line = 1 + strings.Count(string(before), "\n")
	return line, len(before) - strings.LastIndex(string(before), "\n") - 1
}

// functionNamed is the function of the running cloud that name is: its
// whole name, or the service part of it (query-api).
func functionNamed(s cloud.State, name string) (string, error) {
	if slices.Contains(s.Functions, name) {
		return name, nil
	}
	if full := "moviepipe-" + name + "-" + s.Stage; slices.Contains(s.Functions, full) {
		return full, nil
	}
	return "", fmt.Errorf("no function %s in the running cloud; its functions: %s", name, strings.Join(s.Functions, ", "))
}

// lambdaClient is a client of the cloud's Lambda API as the operator.
func lambdaClient(s cloud.State) *lambda.Client {
	return lambda.New(lambda.Options{Region: emulators.Region, BaseEndpoint: aws.String(s.Lambda),
		Credentials: credentials.NewStaticCredentialsProvider(s.Credentials.AccessKeyID, s.Credentials.SecretAccessKey, "")})
}
