package cloud_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
)

// Scenario: the processor fails a batch past its retries (every DynamoDB
// write throttled, one retry allowed), so the mapping sends the batch info
// to the on-failure queue; the operator's moviepipe-errors failed-batches
// (the command itself, built and run with -local against this cloud, as
// make errors runs it) parks the batch's records in the error table as
// exhausted_retries, and a batch whose shard is gone as records_expired,
// exiting 1 for the lost records; once DynamoDB is back, redrive puts the
// parked records on the stream and the processor stores them
// (docs/operations.md, "Failed batches").
func TestFailedBatchDrainedThenRedriven(t *testing.T) {
	work := t.TempDir()
	errorsCmd := buildErrorsCommand(t, work)
	r := up(t, cloud.Options{Dir: filepath.Join(work, ".moviepipe"), Faults: &faults.Config{DynamoDBThrottle: 1, Seed: 3},
		Templates: withMapping(t, map[string]any{"MaximumRetryAttempts": 1})})
	const queue = "moviepipe-local-stream-failures"
	var entries []ktypes.PutRecordsRequestEntry
	for i := range 3 {
		id := fmt.Sprintf("tt%07d", 9100001+i)
		entries = append(entries, ktypes.PutRecordsRequestEntry{PartitionKey: aws.String(id), Data: fmt.Appendf(nil,
			`{"schema":"movie-record.v1","id":%q,"title":"Failed batch %d","sourceUrl":"https://x.example/","scrapedAt":"2026-11-26T00:00:00Z","runId":"failed-batch"}`, id, i)})
	}
	if out, err := r.kin.PutRecords(t.Context(), &kinesis.PutRecordsInput{StreamName: &r.stream, Records: entries}); err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("put: %v %v", err, out)
	}
	waitFor(t, 3*time.Minute, "the batch in the on-failure queue", func() bool { return destinations(r) > 0 && r.c.SQS().Depth(queue) > 0 })
	r.settle(time.Minute)
	if n := count(t, r.db, r.movies); n != 0 {
		t.Fatalf("%d films stored while every write was throttled", n)
	}
	r.c.Faults()[1].Set(faults.Config{})
	// And a batch whose shard the stream no longer has: its records are lost.
	lost := `{"requestContext":{"condition":"RecordAgeExceeded"},"KinesisBatchInfo":{"shardId":"shardId-000000000099",` +
		`"startSequenceNumber":"49600000000000000000000000000000000000000000000000000001","endSequenceNumber":"49600000000000000000000000000000000000000000000000000001",` +
		`"batchSize":1,"streamArn":"` + r.c.State.Exports["moviepipe-local-StreamArn"] + `"}}`
	if err := r.c.SQS().Send("arn:aws:sqs:us-east-1:000000000000:"+queue, lost); err != nil {
		t.Fatal(err)
	}

	if out := errorsCmd(1, "failed-batches", "-dry-run"); !strings.Contains(out, "3 records found, 1 lost") || len(r.parked()) != 0 {
		t.Fatalf("dry run: %s", out)
	}
	if out := errorsCmd(1, "failed-batches"); !strings.Contains(out, "3 records parked, 1 lost") || !strings.Contains(out, "LOST") {
		t.Fatalf("failed-batches: %s", out)
	}
	if got := r.parked(); fmt.Sprint(got) != "map[process/exhausted_retries:3 process/records_expired:1]" || r.c.SQS().Depth(queue) != 0 {
		t.Fatalf("parked %v, %d messages left", got, r.c.SQS().Depth(queue))
	}
	if out := errorsCmd(0, "redrive", "-reason", "exhausted_retries"); !strings.Contains(out, "3 of 3 redriven") {
		t.Fatalf("redrive: %s", out)
	}
	if stored := r.settle(2 * time.Minute); stored != 3 || fmt.Sprint(r.parked()) != "map[process/records_expired:1]" {
		t.Fatalf("%d films stored, parked %v: want the 3 stored and only the lost batch parked", stored, r.parked())
	}
}

// buildErrorsCommand builds deploy/ops's moviepipe-errors into dir and
// returns a function that runs it with -local from dir (where the cloud's
// state is, in .moviepipe), checks its exit status and returns its output.
func buildErrorsCommand(t *testing.T, dir string) func(status int, args ...string) string {
	t.Helper()
	bin := filepath.Join(dir, "moviepipe-errors")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/moviepipe-errors")
	build.Dir, build.Env = filepath.Join(root(t), "deploy", "ops"), append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build moviepipe-errors: %v\n%s", err, out)
	}
	return func(status int, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := exec.CommandContext(t.Context(), bin, append([]string{"-local"}, args...)...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
		err := cmd.Run()
		if cmd.ProcessState == nil {
			t.Fatalf("moviepipe-errors: %v", err)
		}
		if code := cmd.ProcessState.ExitCode(); code != status {
			t.Fatalf("moviepipe-errors %s: exit %d (%v), want %d\n%s", strings.Join(args, " "), code, err, status, out.String())
		}
		return out.String()
	}
}

// destinations counts the batches the mappings sent to their destination.
func destinations(r *rig) int {
	n := 0
	for _, m := range r.c.Mappings() {
		for _, s := range m {
			n += s.Destination
		}
	}
	return n
}

func waitFor(t *testing.T, timeout time.Duration, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !done(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s", what, timeout)
		}
	}
}
