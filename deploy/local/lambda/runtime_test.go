package lambda_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// The environment of an OS-only runtime, as documented in "Defined runtime
// environment variables": the reserved variables, the unreserved defaults,
// no AWS_EXECUTION_ENV and no _X_AMZN_TRACE_ID (neither is defined for the
// provided family), AWS_ACCESS_KEY beside AWS_ACCESS_KEY_ID, LOG_ERROR for
// X-Ray unless configured; and the reserved keys refused in a function's
// configuration with Lambda's message.
func TestStandardEnvironmentVariables(t *testing.T) {
	h, _, _ := newHost(t, func(c *lambda.Config) {
		c.Env["AWS_ACCESS_KEY_ID"], c.Env["AWS_XRAY_DAEMON_ADDRESS"] = "ASIAEXAMPLEEXAMPLE", "127.0.0.1:2000"
	})
	res, _ := invoke(t, h, `{"environ": true}`, "")
	var env map[string]string
	if err := json.Unmarshal(res.Payload, &env); err != nil {
		t.Fatalf("%v: %s", err, res.Payload)
	}
	task := filepath.Dir(bootstrap)
	for k, v := range map[string]string{
		"_HANDLER": "bootstrap", "AWS_LAMBDA_FUNCTION_NAME": "fn-test", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn-test", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
		"LAMBDA_TASK_ROOT": task, "LAMBDA_RUNTIME_DIR": task, "TZ": ":UTC", "LANG": "en_US.UTF-8",
		"PATH":              "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH":   "/var/lang/lib:/lib64:/usr/lib64:" + task + ":" + task + "/lib:" + task + ":" + task + "/lib:/opt/lib",
		"AWS_ACCESS_KEY_ID": "ASIAEXAMPLEEXAMPLE", "AWS_ACCESS_KEY": "ASIAEXAMPLEEXAMPLE",
		"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "TEST_VALUE": "from-config",
	} {
		if env[k] != v {
			t.Errorf("%s=%q, want %q", k, env[k], v)
		}
	}
	for k, re := range map[string]string{
		"AWS_LAMBDA_LOG_STREAM_NAME": `^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$`,
		"AWS_LAMBDA_RUNTIME_API":     `^127\.0\.0\.1:\d+$`,
	} {
		if !regexp.MustCompile(re).MatchString(env[k]) {
			t.Errorf("%s=%q, want %s", k, env[k], re)
		}
	}
	// What Lambda starts the runtime with (aws-lambda-go sets
	// _X_AMZN_TRACE_ID itself, from each invocation's Lambda-Runtime-Trace-Id).
	initial, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", h.PIDs()[0]))
	if err != nil {
		t.Fatal(err)
	}
	for kv := range strings.SplitSeq(string(initial), "\x00") {
		if k, _, _ := strings.Cut(kv, "="); k == "AWS_EXECUTION_ENV" || k == "_X_AMZN_TRACE_ID" {
			t.Errorf("%s: not defined for OS-only runtimes", kv)
		}
	}
	err = lambda.CheckVariables(map[string]string{"TABLE": "movies", "AWS_REGION": "eu-west-1", "_HANDLER": "x"})
	if err == nil || !strings.HasSuffix(err.Error(), "contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION,_HANDLER") {
		t.Errorf("reserved keys in the configuration: %v", err)
	}
}

// A runtime that posts /runtime/init/error fails the invocation with the
// error type it posted (Runtime.Xxx or Function.Xxx kept, anything else
// Runtime.Unknown or Function.Unknown, as the runtime interface emulator
// decides), its body as the payload, an INIT_REPORT line and the REPORT's
// error type; its exit is Lambda resetting the environment, not a crash;
// the next invocation initialises again.
func TestInitErrorIsReportedWithItsType(t *testing.T) {
	for _, tc := range []struct{ posted, body, want, payload string }{
		{"Function.ConfigInvalid", `{"errorMessage":"no TABLE_NAME","errorType":"Function.ConfigInvalid"}`, "Function.ConfigInvalid",
			`{"errorMessage":"no TABLE_NAME","errorType":"Function.ConfigInvalid"}`},
		{"Runtime.NoSuchHandler", "handler main.nope is missing", "Runtime.NoSuchHandler",
			`{"errorMessage":"handler main.nope is missing","errorType":"Runtime.NoSuchHandler"}`},
		{"Function.x", "boom", "Function.Unknown", `{"errorMessage":"boom","errorType":"Function.Unknown"}`},
		{"oops", "boom", "Runtime.Unknown", `{"errorMessage":"boom","errorType":"Runtime.Unknown"}`},
	} {
		t.Run(tc.posted, func(t *testing.T) {
			h, logs, _ := newHost(t, func(c *lambda.Config) { c.Env["INIT_ERROR_TYPE"], c.Env["INIT_ERROR_BODY"] = tc.posted, tc.body })
			for range 2 {
				res, _ := invoke(t, h, `{}`, "")
				if res.FunctionError != "Unhandled" || string(res.Payload) != tc.payload {
					t.Fatalf("%+v %s, want %s", res, res.Payload, tc.payload)
				}
				if !strings.Contains(string(res.LogTail), "Status: error\tError Type: "+tc.want+"\t") {
					t.Errorf("tail:\n%s", res.LogTail)
				}
			}
			if n := strings.Count(logs.String(), "\tPhase: init\tStatus: error\tError Type: "+tc.want+"\n"); n != 2 {
				t.Errorf("%d INIT_REPORT lines for two inits:\n%s", n, logs)
			}
			if strings.Contains(logs.String(), "Runtime.ExitError") {
				t.Errorf("an init error logged as a crash:\n%s", logs)
			}
		})
	}
}

// A crashed or killed environment fails its invocation with
// Runtime.ExitError, and is logged as Lambda logs it, in the function's
// log: "RequestId: <id> Error: Runtime exited with error: signal: killed"
// then "Runtime.ExitError"; the REPORT line says "Status: error".
func TestCrashIsLoggedAsLambdaLogsIt(t *testing.T) {
	for name, tc := range map[string]struct {
		event  string
		kill   bool
		reason string
	}{
		"killed": {event: `{"log": "working", "waitFile": "/nonexistent/never"}`, kill: true, reason: "signal: killed"},
		"exit 7": {event: `{"exit": 7}`, reason: "exit status 7"},
	} {
		t.Run(name, func(t *testing.T) {
			h, logs, _ := newHost(t, func(c *lambda.Config) { c.Timeout = time.Minute })
			done := make(chan lambda.Result, 1)
			go func() {
				res, _ := h.Invoke(context.Background(), []byte(tc.event), "", true)
				done <- res
			}()
			if tc.kill {
				waitForLog(t, logs, "[fn-test] working\n") // the function has the event
				_ = syscall.Kill(h.PIDs()[0], syscall.SIGKILL)
			}
			res := <-done
			fault := "RequestId: " + res.RequestID + " Error: Runtime exited with error: " + tc.reason
			var e struct{ ErrorType, ErrorMessage string }
			_ = json.Unmarshal(res.Payload, &e)
			if res.FunctionError != "Unhandled" || e.ErrorType != "Runtime.ExitError" || e.ErrorMessage != fault {
				t.Fatalf("%+v %s", res, res.Payload)
			}
			if want := "[fn-test] " + fault + "\n[fn-test] Runtime.ExitError\n[fn-test] END RequestId: " + res.RequestID + "\n"; !strings.Contains(logs.String(), want) {
				t.Errorf("want %q in the log:\n%s", want, logs)
			}
			if !strings.Contains(string(res.LogTail), fault+"\nRuntime.ExitError\nEND RequestId: ") ||
				!strings.Contains(string(res.LogTail), "\tStatus: error\tError Type: Runtime.ExitError\t") {
				t.Errorf("tail:\n%s", res.LogTail)
			}
		})
	}
}

// A runtime that exits after answering (aws-lambda-go after a panic, or
// after its response was refused as too large) is logged with the request
// id it answered: Lambda logs the exit of the runtime that had not asked
// for its next invocation yet.
func TestExitAfterAnswerIsLoggedWithTheRequestID(t *testing.T) {
	h, logs, _ := newHost(t, nil)
	res, _ := invoke(t, h, `{"panic": true}`, "")
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "the test asked for a panic") {
		t.Fatalf("%+v %s", res, res.Payload)
	}
	waitForLog(t, logs, "[fn-test] RequestId: "+res.RequestID+" Error: Runtime exited with error: exit status 1\n[fn-test] Runtime.ExitError\n")
}

// Ids as AWS forms them: request ids are version 4 UUIDs, a function
// segment's id 16 hex digits, a new trace id 1-<8 hex: the time>-<24 hex>.
func TestIDsAreFormedAsAWSFormsThem(t *testing.T) {
	h, _, segs := newHost(t, nil)
	before := time.Now()
	res, _ := invoke(t, h, `{}`, "")
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !uuid.MatchString(res.RequestID) {
		t.Errorf("request id %q", res.RequestID)
	}
	s := (*segs)[0]
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(s.ID) || !regexp.MustCompile(`^1-[0-9a-f]{8}-[0-9a-f]{24}$`).MatchString(s.TraceID) {
		t.Errorf("segment %+v", s)
	}
	epoch, err := strconv.ParseInt(s.TraceID[2:10], 16, 64)
	if err != nil || epoch < before.Unix() || epoch > time.Now().Unix() {
		t.Errorf("trace id %s: time %d, want the invocation's", s.TraceID, epoch)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(lambda.NewSegmentID()) {
		t.Error(lambda.NewSegmentID())
	}
}
