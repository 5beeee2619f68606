// Command moviepipe-errors lists the error table by reason, shows entries,
// redrives chosen ones to the stream after a fix, and works off the
// on-failure queue: the records of each batch the processor gave up on are
// read back from the stream into the error table (exhausted_retries).
//
//	moviepipe-errors [-stage dev] [-local] list   [-reason R] [-from scrape|process]
//	moviepipe-errors [-stage dev] [-local] show   ERROR_ID
//	moviepipe-errors [-stage dev] [-local] redrive [-reason R] [-from …] [-dry-run] [ERROR_ID…]
//	moviepipe-errors [-stage dev] [-local] failed-batches [-dry-run]
//
// failed-batches exits 1 when records were lost (they had left the stream)
// or messages stay in the queue, after doing all it could.
//
// -local uses the running local cloud (.moviepipe/local.json, stage local);
// otherwise your AWS profile and region, as every AWS tool does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/moviepipe/moviepipe/deploy/ops"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: moviepipe-errors [-stage S] [-local] list|show|redrive|failed-batches …"

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("moviepipe-errors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "dev", "the stage whose tables to use")
	local := fs.Bool("local", false, "use the running local cloud (.moviepipe/local.json)")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	sub := flag.NewFlagSet(fs.Arg(0), flag.ContinueOnError)
	sub.SetOutput(stderr)
	reason := sub.String("reason", "", "only this reason (invalid_record, undecodable, oversized, unsupported_schema, clock_skew, publish_failed, internal, exhausted_retries, records_expired)")
	from := sub.String("from", "", "only this stage: scrape or process")
	dry := sub.Bool("dry-run", false, "say what redrive or failed-batches would do, change nothing")
	if err := sub.Parse(fs.Args()[1:]); err != nil {
		return 2
	}
	cmd, known := map[string]func(context.Context, *ops.Table, ops.Filter, bool, io.Writer) error{
		"list": list, "show": show, "redrive": redrive, "failed-batches": failedBatches,
	}[fs.Arg(0)]
	if !known {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if fs.Arg(0) == "show" && sub.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: moviepipe-errors show ERROR_ID…")
		return 2
	}
	t, err := table(ctx, *stage, *local)
	if err == nil {
		err = cmd(ctx, t, ops.Filter{Reason: *reason, Stage: *from, IDs: sub.Args()}, *dry, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-errors:", err)
		return 1
	}
	return 0
}

// list prints the matching entries and their counts by stage and reason.
func list(ctx context.Context, t *ops.Table, f ops.Filter, _ bool, stdout io.Writer) error {
	entries, err := t.List(ctx, f)
	if err != nil {
		return err
	}
	byReason := map[string]int{}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ERROR ID\tSTAGE\tREASON\tMOVIE\tOCCURRED\tMESSAGE")
	for _, e := range entries {
		byReason[e.Stage+"/"+e.Reason]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.ErrorID, e.Stage, e.Reason, e.MovieID, e.OccurredAt, clip(e.Message, 70))
	}
	_ = tw.Flush()
	keys := make([]string, 0, len(byReason))
	for k := range byReason {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return byReason[keys[i]] > byReason[keys[j]] })
	fmt.Fprintf(stdout, "\n%d entries", len(entries))
	for _, k := range keys {
		fmt.Fprintf(stdout, " · %s %d", k, byReason[k])
	}
	fmt.Fprintln(stdout)
	return nil
}

// show prints the chosen entries as JSON.
func show(ctx context.Context, t *ops.Table, f ops.Filter, _ bool, stdout io.Writer) error {
	entries, err := t.List(ctx, f)
	if err != nil || len(entries) == 0 {
		return errors.Join(err, ops.ErrNoEntries)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	for _, e := range entries {
		_ = enc.Encode(e)
	}
	return nil
}

// redrive puts the matching entries' records back on the stream.
func redrive(ctx context.Context, t *ops.Table, f ops.Filter, dry bool, stdout io.Writer) error {
	outcomes, err := t.Redrive(ctx, f, dry)
	done := 0
	for _, o := range outcomes {
		mark := "kept"
		if o.Done {
			mark, done = "redriven", done+1
		}
		fmt.Fprintf(stdout, "%-9s %s: %s\n", mark, o.ErrorID, o.Why)
	}
	fmt.Fprintf(stdout, "%d of %d redriven\n", done, len(outcomes))
	return err
}

// errLost and errKept make failed-batches exit 1 after it has done what
// it could: records are lost, or messages stay in the queue.
var (
	errLost = errors.New("records of failed batches had left the stream: they are lost (list -reason records_expired)")
	errKept = errors.New("some messages stay in the on-failure queue: see why above, then run again")
)

// failedBatches works off the on-failure queue into the error table.
func failedBatches(ctx context.Context, t *ops.Table, _ ops.Filter, dry bool, stdout io.Writer) error {
	outcomes, err := t.DrainFailedBatches(ctx, dry)
	if verdict := report(outcomes, dry, stdout); err == nil {
		err = verdict
	}
	return err
}

// report prints a line per message and the totals, and says whether to
// exit 1: errLost when records are lost, that is when a message with lost
// records was deleted (on a dry run: would be); errKept when messages stay.
// A message that stays loses nothing yet: a rerun reads its batch again.
func report(outcomes []ops.BatchOutcome, dry bool, stdout io.Writer) error {
	var drained, parked, lost, kept int
	for _, o := range outcomes {
		mark, batch := "kept", o.MessageID
		if o.Batch != nil {
			batch = o.Batch.ShardID + " " + o.Batch.StartSequenceNumber + "…" + o.Batch.EndSequenceNumber
		}
		switch {
		case o.Deleted:
			mark, drained = "drained", drained+1
		case o.Ready:
			mark = "would"
		default:
			kept++
		}
		if o.Lost > 0 && (o.Deleted || o.Ready) {
			mark, lost = "LOST", lost+o.Lost
		}
		parked += o.Parked
		fmt.Fprintf(stdout, "%-8s %s: %s\n", mark, batch, o.Why)
	}
	if dry {
		fmt.Fprintf(stdout, "%d batches: %d would be drained, %d kept; %d records found, %d lost\n", len(outcomes), len(outcomes)-kept, kept, parked, lost)
	} else {
		fmt.Fprintf(stdout, "%d batches: %d drained, %d kept; %d records parked, %d lost\n", len(outcomes), drained, kept, parked, lost)
	}
	switch {
	case lost > 0:
		return errLost
	case kept > 0:
		return errKept
	}
	return nil
}

// table builds the clients: the local cloud's endpoints, or the SDK's own
// configuration (profile, region, AWS_ENDPOINT_URL_*).
func table(ctx context.Context, stage string, local bool) (*ops.Table, error) {
	t := &ops.Table{Errors: "moviepipe-" + stage + "-errors", Stream: "moviepipe-" + stage + "-movies",
		Queue: "moviepipe-" + stage + "-stream-failures", TTL: ops.DefaultTTL}
	if local {
		wd, _ := os.Getwd()
		var state struct{ Kinesis, DynamoDB, SQS string }
		for d := wd; ; d = filepath.Dir(d) {
			b, err := os.ReadFile(filepath.Join(d, ".moviepipe", "local.json"))
			if err == nil {
				if err := json.Unmarshal(b, &state); err != nil {
					return nil, err
				}
				break
			}
			if filepath.Dir(d) == d {
				return nil, errors.New("no local cloud is running (make up starts one)")
			}
		}
		cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
		t.DynamoDB = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(state.DynamoDB) })
		t.Kinesis = kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(state.Kinesis) })
		t.SQS = sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(state.SQS) })
		t.Errors, t.Stream, t.Queue = "moviepipe-local-errors", "moviepipe-local-movies", "moviepipe-local-stream-failures"
		return t, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	t.DynamoDB, t.Kinesis, t.SQS = dynamodb.NewFromConfig(cfg), kinesis.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	return t, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
