package lambda_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// platformLine is one of Lambda's JSON records, or a function's JSON line.
type platformLine struct {
	Type    string         `json:"type"`
	Record  map[string]any `json:"record"`
	Message string         `json:"message"`
}

// jsonLines reads a host's log: every line must be a JSON object after the
// function's prefix.
func jsonLines(t *testing.T, log string) []platformLine {
	t.Helper()
	var out []platformLine
	for line := range strings.Lines(log) {
		var l platformLine
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "[fn-test] ")), &l); err != nil {
			t.Errorf("not a JSON line: %q (%v)", line, err)
			continue
		}
		out = append(out, l)
	}
	return out
}

// A function configured for the JSON format is told so (AWS_LAMBDA_LOG_FORMAT,
// AWS_LAMBDA_LOG_LEVEL), Lambda's own lines are JSON records
// (platform.runtimeDone only at system level DEBUG), and the function's
// lines below the application level are dropped: a JSON object by its
// "level" when it has a valid timestamp, any other line as INFO. A cold
// start's billed duration includes its init, as for every provided runtime.
func TestJSONLogFormat(t *testing.T) {
	h, logs, _ := newHost(t, func(c *lambda.Config) {
		c.Logging = lambda.Logging{Format: "JSON", ApplicationLevel: "WARN", SystemLevel: "DEBUG"}
	})
	const ts = `"timestamp":"2026-12-03T06:30:00.123Z"`
	lines := `{"level":"DEBUG","message":"dropped",` + ts + `}` + "\n" + `{"level":"WARN","message":"kept",` + ts + `}` + "\nplain text, so INFO\n" +
		`{"level":"WARN","message":"no timestamp, so INFO"}` + "\n" + `{"level":"error","message":"also kept","time":"2026-12-03T06:30:00Z"}`
	ev, _ := json.Marshal(map[string]any{"environ": true, "log": lines})
	res, err := h.Invoke(t.Context(), ev, "", true)
	if err != nil || res.FunctionError != "" {
		t.Fatalf("%v %+v", err, res)
	}
	var env map[string]string
	_ = json.Unmarshal(res.Payload, &env)
	if env["AWS_LAMBDA_LOG_FORMAT"] != "JSON" || env["AWS_LAMBDA_LOG_LEVEL"] != "WARN" {
		t.Errorf("format %q, level %q", env["AWS_LAMBDA_LOG_FORMAT"], env["AWS_LAMBDA_LOG_LEVEL"])
	}
	waitForLog(t, logs, `"type":"platform.report"`)
	var got []string
	var report map[string]any
	for _, l := range jsonLines(t, logs.String()) {
		got = append(got, l.Type+l.Message)
		if l.Type != "" && l.Record["requestId"] != res.RequestID {
			t.Errorf("%s of request %v, want %s", l.Type, l.Record["requestId"], res.RequestID)
		}
		if l.Type == "platform.report" {
			report = l.Record
		}
	}
	if want := "platform.start kept also kept platform.runtimeDone platform.report"; strings.Join(got, " ") != want {
		t.Errorf("lines %q, want %q", got, want)
	}
	m, _ := report["metrics"].(map[string]any)
	d, billed, init := num(m["durationMs"]), num(m["billedDurationMs"]), num(m["initDurationMs"])
	if report["status"] != "success" || m["memorySizeMB"] != 128.0 || d == 0 || init == 0 || billed < d+init || billed > d+init+1 {
		t.Errorf("a cold start's report: %v", report)
	}
}

// In JSON format a timeout is the report's status (no "Task timed out"
// line), and platform.runtimeDone is not sent at system level INFO.
func TestJSONLogFormatTimeout(t *testing.T) {
	h, logs, _ := newHost(t, func(c *lambda.Config) {
		c.Logging, c.Timeout = lambda.Logging{Format: "JSON"}, 300*time.Millisecond
	})
	res, err := h.Invoke(t.Context(), []byte(`{"sleepMs": 2000}`), "", true)
	if err != nil || res.FunctionError == "" {
		t.Fatalf("%v %+v", err, res)
	}
	waitForLog(t, logs, `"type":"platform.report"`)
	var types []string
	for _, l := range jsonLines(t, logs.String()) {
		types = append(types, l.Type)
		if l.Type == "platform.report" && l.Record["status"] != "timeout" {
			t.Errorf("report %v, want status timeout", l.Record)
		}
	}
	if strings.Join(types, " ") != "platform.start platform.report" {
		t.Errorf("records %q", types)
	}
}

// Lambda refuses a LoggingConfig it does not know.
func TestCheckLogging(t *testing.T) {
	for _, l := range []lambda.Logging{{Format: "XML"}, {Format: "JSON", ApplicationLevel: "LOUD"}, {Format: "JSON", SystemLevel: "ERROR"},
		{ApplicationLevel: "DEBUG"}} {
		if err := lambda.CheckLogging(l); err == nil || !strings.Contains(err.Error(), "InvalidParameterValueException") {
			t.Errorf("%+v: %v", l, err)
		}
	}
	for _, l := range []lambda.Logging{{}, {Format: "Text"}, {Format: "JSON", ApplicationLevel: "TRACE", SystemLevel: "WARN"}} {
		if err := lambda.CheckLogging(l); err != nil {
			t.Errorf("%+v: %v", l, err)
		}
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
