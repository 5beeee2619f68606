package cloud_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// logLine is a line of the functions' log: its function and its JSON.
type logLine struct {
	fn string
	v  map[string]any
}

func (l logLine) str(k string) string { s, _ := l.v[k].(string); return s }

// checkJSONLogs holds the functions' log (cloud.LogFile) of a run of
// TestScrapeStoreServeTrace to what docs/operations.md promises: every line
// every function and Lambda wrote is JSON (LoggingConfig JSON in every
// template); each function's invocations have their platform.start and
// platform.report records; every application line carries the request id
// of its invocation; each record's line carries runId, movieId and traceId,
// and one film can be followed by them from the scraper's line into the
// processor's, in the run's trace.
func checkJSONLogs(t *testing.T, path, runID, traceID, movieID string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var all []logLine
	for line := range strings.Lines(string(b)) {
		if !strings.HasSuffix(line, "\n") {
			break // being written: the cloud still runs
		}
		fn, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "] ")
		var v map[string]any
		if !ok || json.Unmarshal([]byte(rest), &v) != nil {
			t.Errorf("not a function's JSON line: %q", line)
			continue
		}
		all = append(all, logLine{fn, v})
	}
	platform, records := map[string]int{}, map[string]int{}
	followed := map[string]bool{}
	for _, l := range all {
		if typ := l.str("type"); typ != "" {
			platform[l.fn+" "+typ]++
			continue
		}
		msg := l.str("message")
		if msg == "" {
			continue // an EMF document
		}
		if l.str("requestId") == "" {
			t.Errorf("%s: no requestId: %v", l.fn, l.v)
		}
		if !strings.HasPrefix(msg, "record ") {
			continue
		}
		records[msg]++
		for _, k := range []string{"runId", "movieId", "traceId"} {
			if _, ok := l.v[k]; !ok {
				t.Errorf("%s %q: no %s: %v", l.fn, msg, k, l.v)
			}
		}
		if l.str("runId") != runID || l.str("traceId") != traceID {
			t.Errorf("%s %q: runId %q, traceId %q, want the run's %s, %s", l.fn, msg, l.str("runId"), l.str("traceId"), runID, traceID)
		}
		if l.str("movieId") == movieID {
			followed[msg] = true
		}
	}
	for _, fn := range []string{"moviepipe-scraper-local", "moviepipe-processor-local", "moviepipe-query-api-local"} {
		for _, typ := range []string{"platform.start", "platform.report"} {
			if platform[fn+" "+typ] == 0 {
				t.Errorf("%s: no %s record in %v", fn, typ, platform)
			}
		}
	}
	if records["record published"] == 0 || records["record stored"] == 0 || records["record rejected"] == 0 {
		t.Errorf("record lines %v: want published, rejected and stored ones", records)
	}
	if !followed["record published"] || !followed["record stored"] {
		t.Errorf("film %s: lines %v, want its published and stored lines", movieID, followed)
	}
}
