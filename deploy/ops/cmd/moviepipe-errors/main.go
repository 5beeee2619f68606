// Command moviepipe-errors lists the error table by reason, shows entries,
// and redrives chosen ones to the stream after a fix.
//
//	moviepipe-errors [-stage dev] [-local] list   [-reason R] [-from scrape|process]
//	moviepipe-errors [-stage dev] [-local] show   ERROR_ID
//	moviepipe-errors [-stage dev] [-local] redrive [-reason R] [-from …] [-dry-run] [ERROR_ID…]
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

	"github.com/moviepipe/moviepipe/deploy/ops"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("moviepipe-errors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stage := fs.String("stage", "dev", "the stage whose tables to use")
	local := fs.Bool("local", false, "use the running local cloud (.moviepipe/local.json)")
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: moviepipe-errors [-stage S] [-local] list|show|redrive …")
		return 2
	}
	t, err := table(ctx, *stage, *local)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-errors:", err)
		return 1
	}
	sub := flag.NewFlagSet(fs.Arg(0), flag.ContinueOnError)
	sub.SetOutput(stderr)
	reason := sub.String("reason", "", "only this reason (invalid_record, undecodable, oversized, unsupported_schema, clock_skew, publish_failed, internal)")
	from := sub.String("from", "", "only this stage: scrape or process")
	dry := sub.Bool("dry-run", false, "say what redrive would do, change nothing")
	if err := sub.Parse(fs.Args()[1:]); err != nil {
		return 2
	}
	f := ops.Filter{Reason: *reason, Stage: *from, IDs: sub.Args()}
	switch fs.Arg(0) {
	case "list":
		entries, err := t.List(ctx, f)
		if err != nil {
			fmt.Fprintln(stderr, "moviepipe-errors:", err)
			return 1
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
	case "show":
		if len(f.IDs) == 0 {
			fmt.Fprintln(stderr, "usage: moviepipe-errors show ERROR_ID…")
			return 2
		}
		entries, err := t.List(ctx, f)
		if err != nil || len(entries) == 0 {
			fmt.Fprintln(stderr, "moviepipe-errors:", errors.Join(err, ops.ErrNoEntries))
			return 1
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		for _, e := range entries {
			_ = enc.Encode(e)
		}
	case "redrive":
		outcomes, err := t.Redrive(ctx, f, *dry)
		done := 0
		for _, o := range outcomes {
			mark := "kept"
			if o.Done {
				mark, done = "redriven", done+1
			}
			fmt.Fprintf(stdout, "%-9s %s: %s\n", mark, o.ErrorID, o.Why)
		}
		fmt.Fprintf(stdout, "%d of %d redriven\n", done, len(outcomes))
		if err != nil {
			fmt.Fprintln(stderr, "moviepipe-errors:", err)
			return 1
		}
	default:
		fmt.Fprintln(stderr, "usage: moviepipe-errors [-stage S] [-local] list|show|redrive …")
		return 2
	}
	return 0
}

// table builds the clients: the local cloud's endpoints, or the SDK's own
// configuration (profile, region, AWS_ENDPOINT_URL_*).
func table(ctx context.Context, stage string, local bool) (*ops.Table, error) {
	t := &ops.Table{Errors: "moviepipe-" + stage + "-errors", Stream: "moviepipe-" + stage + "-movies"}
	if local {
		wd, _ := os.Getwd()
		var state struct{ Kinesis, DynamoDB string }
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
		t.Errors, t.Stream = "moviepipe-local-errors", "moviepipe-local-movies"
		return t, nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	t.DynamoDB, t.Kinesis = dynamodb.NewFromConfig(cfg), kinesis.NewFromConfig(cfg)
	return t, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
