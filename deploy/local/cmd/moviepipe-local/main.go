// Command moviepipe-local runs moviepipe on this machine.
//
//	moviepipe-local up            start the local cloud and keep it running (Ctrl-C stops it);
//	                              -concurrency N sets the account's Lambda concurrency [10];
//	                              -empty starts it with no stacks, for make deploy STAGE=local;
//	                              -ports BASE (or MOVIEPIPE_LOCAL_PORTS) fixes the console's,
//	                              the API's and the site's ports: BASE, BASE+1, BASE+2
//	moviepipe-local exec CMD…     run CMD (osls, the AWS CLI) against the running local cloud
//	moviepipe-local env           print the export lines that point aws and the SDKs at it:
//	                              eval "$(moviepipe-local env)"
//	moviepipe-local invoke FN [-e FILE|-] [-type RequestResponse|Event]
//	                              invoke a function of the running cloud (or of one started
//	                              for the call) on an event
//	moviepipe-local logs [FN] [-f]
//	                              the functions' logs of the running cloud, one function's or
//	                              all, coloured by function on a terminal; -f follows them
//	moviepipe-local demo          run the pipeline once, end to end, and stop
//	moviepipe-local bench         measure, print one table (-out FILE writes it as markdown)
//	moviepipe-local trace ID      print a trace of the running cloud as a waterfall
//
// The repository root is found from the working directory. The checkout's
// cloud (up) keeps its state in .moviepipe/local.json, where the other
// commands find it; MOVIEPIPE_LOCAL_DIR names another directory for both.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	wd, _ := os.Getwd()
	root, err := emulators.FindRoot(wd)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	dir := getenv("MOVIEPIPE_LOCAL_DIR")
	if dir == "" {
		dir = cloud.CheckoutDir(root)
	}
	switch args[0] {
	case "up":
		return up(ctx, root, dir, args[1:], getenv, stdout, stderr)
	case "env":
		return env(dir, args[1:], os.Environ(), stdout, stderr)
	case "invoke":
		return invoke(ctx, root, dir, args[1:], os.Stdin, stdout, stderr)
	case "logs":
		return logs(ctx, dir, args[1:], getenv, stdout, stderr)
	case "demo":
		return demo(ctx, root, getenv, stdout, stderr)
	case "bench":
		return bench(ctx, root, args[1:], stdout, stderr)
	case "exec":
		return execIn(ctx, dir, args[1:], stdout, stderr)
	case "trace":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: moviepipe-local trace ID")
			return 2
		}
		return trace(ctx, dir, args[1], stdout, stderr)
	}
	fmt.Fprintln(stderr, usage)
	return 2
}

const usage = "usage: moviepipe-local up [-concurrency N] [-empty] [-ports BASE] | env | invoke FUNCTION [-e FILE|-] [-type RequestResponse|Event] | " +
	"logs [FUNCTION] [-f] | " +
	"demo | bench [-runs N] [-out FILE] | trace ID | exec CMD…"

func up(ctx context.Context, root, dir string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	start := time.Now()
	opts, err := upOptions(root, args, getenv, stderr)
	if err != nil {
		return 2
	}
	opts.Dir = dir
	fmt.Fprintln(stdout, "moviepipe local cloud: starting (emulators, resources, functions)…")
	if opts.Faults != nil {
		fmt.Fprintf(stdout, "injecting faults between the functions and the emulators: %s\n", getenv("MOVIEPIPE_FAULTS"))
	}
	c, err := cloud.Up(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	defer c.Close()
	s := c.State
	fmt.Fprintf(stdout, `ready in %.1fs
  api       %s      (POST /scrapes, GET /movies/{id}, GET /movies)
  site      %s/films
  console   %s
  lambda    %s
  kinesis   %s
  dynamodb  %s
  sqs       %s
  xray      udp://%s
  state     %s
  logs      %s
In another terminal, eval "$(make -s env)" points aws and the SDKs at this cloud;
make logs FOLLOW=1 follows the functions' logs.
Ctrl-C stops everything.
`, time.Since(start).Seconds(), s.API, s.Site, s.Console, s.Lambda, s.Kinesis, s.DynamoDB, s.SQS, s.XRay, c.StatePath(), s.Logs)
	<-ctx.Done()
	fmt.Fprintln(stdout, "moviepipe local cloud: stopping…")
	return 0
}

// upOptions reads up's flags and environment; it reports what is wrong on
// stderr.
func upOptions(root string, args []string, getenv func(string) string, stderr io.Writer) (cloud.Options, error) {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	empty := fs.Bool("empty", false, "start with no stacks: they arrive by deploys (make deploy STAGE=local)")
	concurrency := fs.Int("concurrency", cloud.NewAccountConcurrency,
		"the account's Lambda concurrency (concurrent executions) in the Region: a new account's by default; Lambda's documented default quota is 1000")
	ports := fs.Int("ports", 0,
		"fixed ports from BASE: the console on BASE, the API on BASE+1, the site on BASE+2, for bookmarks [$MOVIEPIPE_LOCAL_PORTS; 0: free ports]")
	if env := getenv("MOVIEPIPE_LOCAL_PORTS"); env != "" {
		n, err := strconv.Atoi(env)
		if err != nil {
			fmt.Fprintf(stderr, "moviepipe-local: MOVIEPIPE_LOCAL_PORTS=%q: not a port number\n", env)
			return cloud.Options{}, err
		}
		*ports = n
	}
	if err := fs.Parse(args); err != nil {
		return cloud.Options{}, err
	}
	if *concurrency < 1 || *ports < 0 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: moviepipe-local up [-concurrency N] [-empty] [-ports BASE], N at least 1")
		return cloud.Options{}, errors.New("bad arguments")
	}
	opts := cloud.Options{Root: root, Log: stderr, ScrapeURL: getenv("SCRAPE_URL"), ScrapeProfile: getenv("SCRAPE_PROFILE"),
		KinesisEndpoint: getenv("MOVIEPIPE_KINESIS_ENDPOINT"), DynamoDBEndpoint: getenv("MOVIEPIPE_DYNAMODB_ENDPOINT"),
		Concurrency: *concurrency, Empty: *empty, Ports: *ports}
	if f := getenv("MOVIEPIPE_FAULTS"); f != "" {
		cfg, err := faults.Parse(f)
		if err != nil {
			fmt.Fprintln(stderr, "moviepipe-local: MOVIEPIPE_FAULTS:", err)
			return cloud.Options{}, err
		}
		opts.Faults = &cfg
	}
	return opts, nil
}

// running reads the state of the cloud running in dir.
func running(dir string) (cloud.State, error) {
	s, err := cloud.Running(dir)
	if errors.Is(err, cloud.ErrNotRunning) {
		return s, fmt.Errorf("%w (make up starts one)", err)
	}
	return s, err
}

// execIn runs a command with the running cloud's deploy environment: its
// endpoints and operator credentials in the AWS SDKs' variables.
func execIn(ctx context.Context, dir string, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: moviepipe-local exec CMD [ARG…]")
		return 2
	}
	s, err := running(dir)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = s.DeployEnv(os.Environ()), os.Stdin, stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	return 0
}

func trace(ctx context.Context, dir, id string, stdout, stderr io.Writer) int {
	s, err := running(dir)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	segs, err := fetchTrace(ctx, s.Console, id)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	xraylocal.Print(stdout, id, xraylocal.Waterfall(segs), 50)
	return 0
}

func fetchTrace(ctx context.Context, console, id string) ([]xraylocal.Segment, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, console+"/traces/"+id+".json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New("no trace " + id)
	}
	var segs []xraylocal.Segment
	return segs, json.NewDecoder(resp.Body).Decode(&segs)
}
