// Command streamfn is the stream function of the event source mapping's
// conformance tests, built as a real bootstrap. It records every
// invocation in STATE_DIR (invocations.jsonl: a "start" line with the
// records and an "end" line with the outcome, appended, so the file's order
// is the order things happened; events.jsonl: each event as received) and
// misbehaves as each record's data asks, a given number of times per record.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type ask struct {
	Fail    string `json:"fail"`    // item, error, malformed, sleep, crash
	Kind    string `json:"kind"`    // malformed: empty, null, unknown, notjson
	Times   int    `json:"times"`   // how many deliveries misbehave (0: always)
	Until   string `json:"until"`   // misbehave until STATE_DIR/<until> exists
	Respond string `json:"respond"` // answer a success form: empty-list, null-list, empty-object, null
	Meet    int    `json:"meet"`    // wait (up to 1.5 s) for company: this many invocations in flight at once
}

// line is one line of invocations.jsonl.
type line struct {
	Event  string   `json:"event"` // start or end
	Req    string   `json:"req"`
	Seqs   []string `json:"seqs,omitempty"`
	IDs    []string `json:"ids,omitempty"`
	Keys   []string `json:"keys,omitempty"`
	Failed []string `json:"failed,omitempty"`
	Error  bool     `json:"error,omitempty"`
	At     string   `json:"at"` // for a reader of a failed test's log
}

var dir = os.Getenv("STATE_DIR")

func main() {
	lambda.Start(func(ctx context.Context, raw json.RawMessage) (any, error) {
		appendLine("events.jsonl", raw)
		var ev events.KinesisEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		lc, _ := lambdacontext.FromContext(ctx)
		start := line{Event: "start", Req: lc.AwsRequestID}
		for _, r := range ev.Records {
			start.Seqs, start.IDs = append(start.Seqs, r.Kinesis.SequenceNumber), append(start.IDs, r.EventID)
			start.Keys = append(start.Keys, r.Kinesis.PartitionKey)
		}
		log(start)
		out, failed, err := handle(ev, lc.AwsRequestID)
		log(line{Event: "end", Req: lc.AwsRequestID, Failed: failed, Error: err != nil})
		return out, err
	})
}

// handle does what the records ask and returns the answer, the records it
// reports as failed, and the function error.
func handle(ev events.KinesisEvent, req string) (any, []string, error) {
	var failures []events.KinesisBatchItemFailure
	var failed []string
	met := false
	for _, r := range ev.Records {
		var a ask
		if json.Unmarshal(r.Kinesis.Data, &a) != nil {
			continue
		}
		if a.Meet > 0 && !met {
			meet(a.Meet, req)
			met = true
		}
		if a.Respond != "" {
			return json.RawMessage(map[string]string{"empty-list": `{"batchItemFailures":[]}`, "null-list": `{"batchItemFailures":null}`,
				"empty-object": `{}`, "null": `null`}[a.Respond]), nil, nil
		}
		if a.Fail == "" || !misbehave(a, r.Kinesis.SequenceNumber) {
			continue
		}
		switch a.Fail {
		case "item":
			failures = append(failures, events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
			failed = append(failed, r.Kinesis.SequenceNumber)
		case "error":
			return nil, nil, errors.New("the record asked for a function error")
		case "sleep":
			time.Sleep(10 * time.Second)
		case "crash":
			os.Exit(1)
		case "malformed":
			// The whole batch fails: the log says the first record failed.
			return malformed(a.Kind), []string{ev.Records[0].Kinesis.SequenceNumber}, nil
		}
	}
	return events.KinesisEventResponse{BatchItemFailures: failures}, failed, nil
}

func malformed(kind string) any {
	switch kind {
	case "empty":
		return map[string]any{"batchItemFailures": []map[string]any{{"itemIdentifier": ""}}}
	case "null":
		return map[string]any{"batchItemFailures": []map[string]any{{"itemIdentifier": nil}}}
	case "unknown":
		return map[string]any{"batchItemFailures": []map[string]any{{"itemIdentifier": "123"}}}
	}
	return json.RawMessage(`"just a string"`)
}

// misbehave counts the deliveries of one record and says whether this one
// misbehaves.
func misbehave(a ask, seq string) bool {
	if a.Until != "" {
		_, err := os.Stat(filepath.Join(dir, a.Until))
		return err != nil
	}
	path := filepath.Join(dir, "seen-"+seq)
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(string(b))
	n++
	_ = os.WriteFile(path, []byte(strconv.Itoa(n)), 0o644)
	return a.Times == 0 || n <= a.Times
}

// meet waits until this invocation has had company: n invocations in
// flight with it at its start or started since.
func meet(n int, me string) {
	for deadline := time.Now().Add(1500 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if company(me) >= n {
			return
		}
	}
}

func company(me string) int {
	f, err := os.Open(filepath.Join(dir, "invocations.jsonl"))
	if err != nil {
		return 0
	}
	defer f.Close()
	open, n, started := map[string]bool{}, 0, false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		_ = json.Unmarshal(sc.Bytes(), &l)
		switch {
		case l.Req == me && l.Event == "start":
			started, n = true, len(open)+1
		case l.Event == "start" && started:
			n++
		case l.Event == "start":
			open[l.Req] = true
		case !started:
			delete(open, l.Req)
		}
	}
	return n
}

func log(l line) {
	l.At = time.Now().Format("15:04:05.000")
	b, _ := json.Marshal(l)
	appendLine("invocations.jsonl", b)
}

// appendLine appends one line with one write: lines of concurrent
// invocations do not interleave, and the file's order is their order.
func appendLine(name string, b []byte) {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write(append(b, '\n'))
}
