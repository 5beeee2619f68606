package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// readable is a line of a function's log (without its prefix and newline)
// as a person reads it. The functions log JSON (their LoggingConfig says
// so), and so does Lambda for them; readable turns
//
//   - Lambda's records back into its text lines: platform.start into
//     "START RequestId: … Version: $LATEST", platform.runtimeDone into
//     "END RequestId: …", platform.report into "REPORT RequestId: …\tDuration:
//     … ms\t…", platform.initReport into "INIT_REPORT …", and a
//     platform.fault into its text;
//   - a function's JSON line with a message into "TIME LEVEL message
//     key=value …", its other keys in name order;
//
// and leaves any other line (text, EMF metrics) as it is.
func readable(line []byte) []byte {
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if line = bytes.TrimRight(line, "\r"); len(line) == 0 || line[0] != '{' || d.Decode(&v) != nil {
		return line
	}
	if typ, ok := v["type"].(string); ok && strings.HasPrefix(typ, "platform.") {
		if s, ok := platformText(typ, v["record"]); ok {
			return []byte(s)
		}
		return line
	}
	msg, ok := v["message"].(string)
	if !ok {
		return line
	}
	var b strings.Builder
	for _, k := range []string{"timestamp", "level"} {
		if s, ok := v[k].(string); ok {
			b.WriteString(s + " ")
		}
	}
	b.WriteString(msg)
	for _, k := range slices.Sorted(maps.Keys(v)) {
		if k != "timestamp" && k != "level" && k != "message" {
			fmt.Fprintf(&b, " %s=%s", k, value(v[k]))
		}
	}
	return []byte(b.String())
}

// value is a field's value: a string as it is (quoted when it holds a space,
// a quote or an equals sign), anything else as JSON.
func value(v any) string {
	if s, ok := v.(string); ok {
		if s == "" || strings.ContainsAny(s, " \t\n\"=") {
			return strconv.Quote(s)
		}
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// platformText is the text line Lambda writes in place of one of its JSON
// records in the text format.
func platformText(typ string, record any) (string, bool) {
	if s, ok := record.(string); ok && typ == "platform.fault" {
		return s, true
	}
	r, ok := record.(map[string]any)
	if !ok {
		return "", false
	}
	id, _ := r["requestId"].(string)
	m, _ := r["metrics"].(map[string]any)
	switch typ {
	case "platform.start":
		return fmt.Sprintf("START RequestId: %s Version: %v", id, r["version"]), true
	case "platform.runtimeDone":
		return "END RequestId: " + id, true
	case "platform.report":
		var b strings.Builder
		fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %v ms\tBilled Duration: %v ms\tMemory Size: %v MB\t",
			id, m["durationMs"], m["billedDurationMs"], m["memorySizeMB"])
		optional(&b, "Max Memory Used: %v MB\t", m["maxMemoryUsedMB"])
		optional(&b, "Init Duration: %v ms\t", m["initDurationMs"])
		if r["status"] != "success" {
			optional(&b, "Status: %v\t", r["status"])
		}
		optional(&b, "Error Type: %v\t", r["errorType"])
		return b.String(), true
	case "platform.initReport":
		return fmt.Sprintf("INIT_REPORT Init Duration: %v ms\tPhase: %v\tStatus: %v\tError Type: %v",
			m["durationMs"], r["phase"], r["status"], r["errorType"]), true
	}
	return "", false
}

func optional(b *strings.Builder, format string, v any) {
	if v != nil {
		fmt.Fprintf(b, format, v)
	}
}
