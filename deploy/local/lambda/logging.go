package lambda

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Logging is a function's LoggingConfig, as Lambda applies it
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html):
//
//   - Text (the default): Lambda's own lines are START, END, REPORT, and
//     the function's output is logged as it is written.
//   - JSON: Lambda sets AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL
//     (the application level) in the runtime's environment, for the runtime
//     to log JSON at that level; Lambda's own lines are JSON records
//     (platform.start, platform.runtimeDone, platform.report, shaped as the
//     Telemetry API's events), sent when their level is at least the system
//     level; and a line the function writes is dropped when its level is
//     below the application level: the "level" of a JSON object, INFO for a
//     line without a valid one (monitoring-cloudwatchlogs-log-level.html).
//
// Not emulated: a LogGroup other than the function's default one (refused by
// the cloud). The invocation's log tail (LogResult) holds the lines before
// this filtering.
type Logging struct {
	Format           string // "Text" or "JSON"; "" is Text
	ApplicationLevel string // JSON only: TRACE, DEBUG, INFO, WARN, ERROR, FATAL; "" is INFO
	SystemLevel      string // JSON only: DEBUG, INFO, WARN; "" is INFO
}

// logLevels ranks Lambda's log levels, from the most detailed.
var logLevels = map[string]int{"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}

// CheckLogging refuses a LoggingConfig that Lambda refuses, naming the
// values it takes.
func CheckLogging(l Logging) error {
	var bad []string
	if l.Format != "" && l.Format != "Text" && l.Format != "JSON" {
		bad = append(bad, "LogFormat "+l.Format+": JSON or Text")
	}
	if _, ok := logLevels[l.ApplicationLevel]; l.ApplicationLevel != "" && !ok {
		bad = append(bad, "ApplicationLogLevel "+l.ApplicationLevel+": TRACE, DEBUG, INFO, WARN, ERROR or FATAL")
	}
	if r, ok := logLevels[l.SystemLevel]; l.SystemLevel != "" && (!ok || r < logLevels["DEBUG"] || r > logLevels["WARN"]) {
		bad = append(bad, "SystemLogLevel "+l.SystemLevel+": DEBUG, INFO or WARN")
	}
	if (l.ApplicationLevel != "" || l.SystemLevel != "") && l.Format != "JSON" {
		bad = append(bad, "log levels need LogFormat JSON")
	}
	if len(bad) > 0 {
		return fmt.Errorf("InvalidParameterValueException: LoggingConfig: %s", strings.Join(bad, "; "))
	}
	return nil
}

func (l Logging) json() bool { return l.Format == "JSON" }

// environ adds the variables Lambda sets for the JSON format.
func (l Logging) environ(env map[string]string) {
	if l.json() {
		env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		env["AWS_LAMBDA_LOG_LEVEL"] = cmp.Or(l.ApplicationLevel, "INFO")
	}
}

// keep says whether Lambda sends a line of the environment's output (without
// its newline) to the function's log. Lambda's own records pass: their
// level was decided when they were written. A line's level is its "level"
// when it also has a valid RFC 3339 timestamp ("timestamp" or "time");
// otherwise, as for a line that is not JSON, it is INFO (Lambda's log-level
// filtering guide).
func (l Logging) keep(line []byte) bool {
	if !l.json() {
		return true
	}
	var v struct{ Type, Level, Timestamp, Time any }
	level := "INFO"
	if json.Unmarshal(line, &v) == nil {
		if t, _ := v.Type.(string); strings.HasPrefix(t, "platform.") {
			return true
		}
		s, ok := v.Level.(string)
		if _, known := logLevels[strings.ToUpper(s)]; ok && known && (rfc3339(v.Timestamp) || rfc3339(v.Time)) {
			level = strings.ToUpper(s)
		}
	}
	return logLevels[level] >= logLevels[cmp.Or(l.ApplicationLevel, "INFO")]
}

// rfc3339 reports whether v is an RFC 3339 timestamp.
func rfc3339(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// sends says whether a platform record of that level is sent.
func (l Logging) sends(level string) bool {
	return logLevels[level] >= logLevels[cmp.Or(l.SystemLevel, "INFO")]
}

// report is what Lambda reports of one invocation.
type report struct {
	id       string
	duration time.Duration
	memoryMB int
	maxMemMB int           // 0: not known
	init     time.Duration // 0: a warm start
	perr     *platformError
}

// text is the invocation's END and REPORT lines (REPORT as the runtime
// interface emulator prints it: "REPORT RequestId: …\tDuration: 1.23
// ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\t").
func (r report) text() string {
	ms := float64(r.duration.Microseconds()) / 1000
	var b strings.Builder
	fmt.Fprintf(&b, "END RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\t",
		r.id, r.id, ms, r.billedMs(), r.memoryMB)
	if r.maxMemMB > 0 {
		fmt.Fprintf(&b, "Max Memory Used: %d MB\t", r.maxMemMB)
	}
	if r.init > 0 {
		fmt.Fprintf(&b, "Init Duration: %.2f ms\t", float64(r.init.Microseconds())/1000)
	}
	if r.perr != nil {
		fmt.Fprintf(&b, "Status: %s\t", r.perr.status)
		if r.perr.typ != "" {
			fmt.Fprintf(&b, "Error Type: %s\t", r.perr.typ)
		}
	}
	return b.String()
}

// billedMs is the invocation's billed duration: its duration and, on a
// cold start, its init, rounded up to the millisecond. Lambda bills the
// init phase of an OS-only (provided.*) runtime, as all of ours are.
func (r report) billedMs() int64 {
	return int64(math.Ceil(float64((r.duration + r.init).Microseconds()) / 1000))
}

// records is the invocation's platform.runtimeDone and platform.report, as
// the Telemetry API's schema shapes them (telemetry-schema-reference.html).
func (r report) records(at time.Time) (done, rep []byte) {
	ms := math.Round(float64(r.duration.Microseconds())/10) / 100
	status := "success"
	if r.perr != nil {
		status = r.perr.status
	}
	metrics := map[string]any{"durationMs": ms, "billedDurationMs": r.billedMs(), "memorySizeMB": r.memoryMB}
	if r.maxMemMB > 0 {
		metrics["maxMemoryUsedMB"] = r.maxMemMB
	}
	if r.init > 0 {
		metrics["initDurationMs"] = math.Round(float64(r.init.Microseconds())/10) / 100
	}
	record := map[string]any{"requestId": r.id, "status": status, "metrics": metrics}
	if r.perr != nil && r.perr.typ != "" {
		record["errorType"] = r.perr.typ
	}
	done = platformRecord(at, "platform.runtimeDone", map[string]any{"requestId": r.id, "status": status})
	return done, platformRecord(at, "platform.report", record)
}

// platformRecord is one of Lambda's JSON records: its time, type and record.
func platformRecord(at time.Time, typ string, record any) []byte {
	b, _ := json.Marshal(struct {
		Time   string `json:"time"`
		Type   string `json:"type"`
		Record any    `json:"record"`
	}{at.UTC().Format("2006-01-02T15:04:05.000Z"), typ, record})
	return b
}

// start logs an invocation's start: START, or platform.start.
func (e *env) logStart(id string) {
	if !e.cfg.Logging.json() {
		e.out.platform("START RequestId: %s Version: $LATEST", id)
		return
	}
	if e.cfg.Logging.sends("INFO") {
		e.out.platform("%s", platformRecord(time.Now(), "platform.start", map[string]string{"requestId": id, "version": "$LATEST"}))
	}
}

// logReport logs an invocation's end: END and REPORT, or
// platform.runtimeDone (DEBUG) and platform.report.
func (e *env) logReport(r report) {
	if !e.cfg.Logging.json() {
		e.out.platform("%s", r.text())
		return
	}
	done, rep := r.records(time.Now())
	if e.cfg.Logging.sends("DEBUG") {
		e.out.platform("%s", done)
	}
	if e.cfg.Logging.sends("INFO") {
		e.out.platform("%s", rep)
	}
}

// logFault logs a fault of the environment: as text, or in JSON format as a
// platform.fault record holding the same text (the type the Logs API gives
// runtime and environment errors: this record's JSON form is not documented
// for CloudWatch). It is sent at every system level.
func (e *env) logFault(text string) {
	if !e.cfg.Logging.json() {
		e.out.platform("%s", text)
		return
	}
	e.out.platform("%s", platformRecord(time.Now(), "platform.fault", text))
}

// logInitError logs an init that the runtime reported failed: INIT_REPORT,
// or platform.initReport.
func (e *env) logInitError(d time.Duration, typ string) {
	ms := float64(d.Microseconds()) / 1000
	if !e.cfg.Logging.json() {
		e.out.platform("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: error\tError Type: %s", ms, typ)
		return
	}
	if e.cfg.Logging.sends("INFO") {
		e.out.platform("%s", platformRecord(time.Now(), "platform.initReport", map[string]any{
			"initializationType": "on-demand", "phase": "init", "status": "error", "errorType": typ,
			"metrics": map[string]any{"durationMs": math.Round(ms*100) / 100},
		}))
	}
}
