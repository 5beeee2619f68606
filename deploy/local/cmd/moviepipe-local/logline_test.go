package main

import (
	"bytes"
	"testing"
)

// The functions' JSON lines are printed as a person reads them: Lambda's
// records as its text lines, a function's line as time, level, message and
// its fields; other lines as they are; -json leaves every line as written.
func TestLogLinesMadeReadable(t *testing.T) {
	const id = "8f5b2c1e-3d4a-4b6c-9e7f-0a1b2c3d4e5f"
	for _, c := range []struct{ in, want string }{
		{`{"time":"2026-12-03T05:00:00.000Z","type":"platform.start","record":{"requestId":"` + id + `","version":"$LATEST"}}`,
			"START RequestId: " + id + " Version: $LATEST"},
		{`{"time":"2026-12-03T05:00:00.000Z","type":"platform.runtimeDone","record":{"requestId":"` + id + `","status":"success"}}`,
			"END RequestId: " + id},
		{`{"time":"2026-12-03T05:00:00.000Z","type":"platform.report","record":{"requestId":"` + id + `","status":"success",` +
			`"metrics":{"durationMs":12.5,"billedDurationMs":13,"memorySizeMB":256,"maxMemoryUsedMB":20,"initDurationMs":7.25}}}`,
			"REPORT RequestId: " + id + "\tDuration: 12.5 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 20 MB\tInit Duration: 7.25 ms\t"},
		{`{"time":"2026-12-03T05:00:00.000Z","type":"platform.report","record":{"requestId":"` + id + `","status":"timeout",` +
			`"metrics":{"durationMs":3000.01,"billedDurationMs":3001,"memorySizeMB":128}}}`,
			"REPORT RequestId: " + id + "\tDuration: 3000.01 ms\tBilled Duration: 3001 ms\tMemory Size: 128 MB\tStatus: timeout\t"},
		{`{"time":"2026-12-03T05:00:00.000Z","type":"platform.fault","record":"RequestId: ` + id + ` Error: Runtime exited with error: exit status 2\nRuntime.ExitError"}`,
			"RequestId: " + id + " Error: Runtime exited with error: exit status 2\nRuntime.ExitError"},
		{`{"timestamp":"2026-12-03T05:00:00.1Z","level":"DEBUG","message":"record stored","runId":"run-1","movieId":"tt1","traceId":"1-2-3","requestId":"` + id + `","n":3}`,
			"2026-12-03T05:00:00.1Z DEBUG record stored movieId=tt1 n=3 requestId=" + id + " runId=run-1 traceId=1-2-3"},
		{`{"timestamp":"t","level":"ERROR","message":"store failed","error":"a b=c","parked":{"x":1}}`,
			`t ERROR store failed error="a b=c" parked={"x":1}`},
		{`{"_aws":{"Timestamp":1},"RecordsIn":3}`, `{"_aws":{"Timestamp":1},"RecordsIn":3}`},
		{"a text line", "a text line"},
		{`{"type":"platform.newThing","record":{}}`, `{"type":"platform.newThing","record":{}}`},
	} {
		if got := string(readable([]byte(c.in))); got != c.want {
			t.Errorf("readable(%s)\n got %q\nwant %q", c.in, got, c.want)
		}
	}

	line := []byte(`[fn] {"timestamp":"t","level":"INFO","message":"hello"}` + "\n")
	var out bytes.Buffer
	if err := (&linePrinter{w: &out}).print(line); err != nil || out.String() != "[fn] t INFO hello\n" {
		t.Errorf("printed %q, %v", out.String(), err)
	}
	out.Reset()
	fault := []byte(`[fn] {"time":"t","type":"platform.fault","record":"RequestId: 1 Error: exit status 2\nRuntime.ExitError"}` + "\n")
	if err := (&linePrinter{w: &out}).print(fault); err != nil || out.String() != "[fn] RequestId: 1 Error: exit status 2\n[fn] Runtime.ExitError\n" {
		t.Errorf("printed %q, %v", out.String(), err)
	}
	out.Reset()
	if err := (&linePrinter{w: &out, raw: true}).print(line); err != nil || out.String() != string(line) {
		t.Errorf("-json printed %q, %v", out.String(), err)
	}
}
