// Command streamfn is the stream function of the event source mapping's
// conformance tests, built as a real bootstrap. It records every invocation
// in STATE_DIR and misbehaves as each record's data asks, a given number of
// times per record.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

type ask struct {
	Fail  string `json:"fail"`  // item, error, malformed, sleep, crash
	Kind  string `json:"kind"`  // malformed: empty, null, unknown, notjson
	Times int    `json:"times"` // how many deliveries misbehave (0: always)
}

func main() {
	dir := os.Getenv("STATE_DIR")
	lambda.Start(func(ctx context.Context, ev events.KinesisEvent) (any, error) {
		var seqs []string
		for _, r := range ev.Records {
			seqs = append(seqs, r.Kinesis.SequenceNumber)
		}
		line, _ := json.Marshal(map[string]any{"seqs": seqs})
		f, err := os.OpenFile(filepath.Join(dir, "invocations.jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			_, _ = f.Write(append(line, '\n'))
			f.Close()
		}
		var failures []events.KinesisBatchItemFailure
		for _, r := range ev.Records {
			var a ask
			if json.Unmarshal(r.Kinesis.Data, &a) != nil || a.Fail == "" {
				continue
			}
			seen := bump(dir, r.Kinesis.SequenceNumber)
			if a.Times > 0 && seen > a.Times {
				continue
			}
			switch a.Fail {
			case "item":
				failures = append(failures, events.KinesisBatchItemFailure{ItemIdentifier: r.Kinesis.SequenceNumber})
			case "error":
				return nil, errors.New("the record asked for a function error")
			case "sleep":
				time.Sleep(10 * time.Second)
			case "crash":
				os.Exit(1)
			case "malformed":
				switch a.Kind {
				case "empty":
					return map[string]any{"batchItemFailures": []map[string]any{{"itemIdentifier": ""}}}, nil
				case "null":
					return map[string]any{"batchItemFailures": []map[string]any{{"itemIdentifier": nil}}}, nil
				case "unknown":
					return map[string]any{"batchItemFailures": []map[string]any{{"itemIdentifier": "123"}}}, nil
				case "notjson":
					return json.RawMessage(`"just a string"`), nil
				}
			}
		}
		return events.KinesisEventResponse{BatchItemFailures: failures}, nil
	})
}

// bump counts the deliveries of one record.
func bump(dir, seq string) int {
	path := filepath.Join(dir, "seen-"+seq)
	b, _ := os.ReadFile(path)
	n, _ := strconv.Atoi(string(b))
	n++
	_ = os.WriteFile(path, []byte(strconv.Itoa(n)), 0o644)
	return n
}
