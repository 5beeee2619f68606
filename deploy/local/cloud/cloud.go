// Package cloud runs the whole system on one machine: the emulators, the
// resources of deploy/resources/serverless.yml, every function of the three
// services' serverless.yml as its real bootstrap behind the Lambda Runtime
// API, their http events behind a local API Gateway, their stream events as
// Kinesis event source mappings, an X-Ray daemon, the Lambda Invoke API, a
// small SQS, the sample catalogue site and a console.
package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/apigw"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
	"github.com/moviepipe/moviepipe/deploy/local/internal/lines"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/site"
	"github.com/moviepipe/moviepipe/deploy/local/sls"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// Services are the stacks with functions, as the repository lays them out.
var Services = []string{"processor", "query-api", "scraper"}

// Options configure a local cloud.
type Options struct {
	Root  string // the repository root
	Stage string // [local]
	// Log receives the cloud's and the functions' output.
	Log io.Writer
	// KinesisEndpoint and DynamoDBEndpoint use running emulators (LocalStack,
	// or AWS itself) instead of starting the pinned ones.
	KinesisEndpoint, DynamoDBEndpoint string
	// ScrapeURL and ScrapeProfile override the scraper's target (default:
	// the sample site's catalogue); ScrapePath targets another page of the
	// sample site (/workshop/table?all=1).
	ScrapeURL, ScrapeProfile, ScrapePath string
	// Env is added to every function's environment, last.
	Env map[string]string
	// AsyncRetryDelays shortens Lambda's asynchronous retry delays (tests).
	AsyncRetryDelays []time.Duration
	// Faults, when set, puts a fault-injecting proxy between the functions
	// and the emulators.
	Faults *faults.Config
}

// State is what .moviepipe/local.json holds.
type State struct {
	Stage     string            `json:"stage"`
	API       string            `json:"api"`
	Site      string            `json:"site"`
	Kinesis   string            `json:"kinesis"`
	DynamoDB  string            `json:"dynamodb"`
	Lambda    string            `json:"lambda"`
	SQS       string            `json:"sqs"`
	XRay      string            `json:"xray"`
	Console   string            `json:"console"`
	Exports   map[string]string `json:"exports"`
	Functions []string          `json:"functions"`
	PIDs      []int             `json:"pids"`
}

// Cloud is a running local cloud.
type Cloud struct {
	State State
	opts  Options
	log   *slog.Logger

	closeOnce sync.Once

	emu      *emulators.Emulators
	servers  []*http.Server
	hosts    []*lambda.Host
	invoke   *lambda.Service
	xray     *xraylocal.Daemon
	sqs      *sqslocal.Server
	mappings []*esm.Mapping
	proxies  []*faults.Proxy
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	dynamo   *dynamodb.Client
	// fnEndpoints are the Kinesis and DynamoDB endpoints the functions use.
	fnEndpoints [2]string
	site        *site.Site
	statePath   string
}

const (
	region  = emulators.Region
	account = "000000000000"
)

// Up starts everything and returns when it is ready. On error nothing is
// left running.
func Up(ctx context.Context, o Options) (c *Cloud, err error) {
	if o.Stage == "" {
		o.Stage = "local"
	}
	if o.Root, err = filepath.Abs(o.Root); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	c = &Cloud{opts: o, log: slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	started := c // a failing return sets c to nil before this runs
	defer func() {
		if err != nil {
			started.Close()
			c = nil
		}
	}()
	c.State.Stage = o.Stage
	if o.KinesisEndpoint == "" || o.DynamoDBEndpoint == "" {
		c.emu, err = emulators.Start(ctx, emulators.Config{Root: o.Root, Log: &lines.Prefixer{Prefix: "[emulator] ", W: o.Log}})
		if err != nil {
			return nil, err
		}
		o.KinesisEndpoint, o.DynamoDBEndpoint = c.emu.Kinesis, c.emu.DynamoDB
		c.State.PIDs = append(c.State.PIDs, c.emu.PIDs()...)
	}
	c.State.Kinesis, c.State.DynamoDB = o.KinesisEndpoint, o.DynamoDBEndpoint
	// What the functions reach: the emulators, or fault-injecting proxies.
	fnKinesis, fnDynamoDB := o.KinesisEndpoint, o.DynamoDBEndpoint
	if o.Faults != nil {
		for _, ep := range []*string{&fnKinesis, &fnDynamoDB} {
			p, err := faults.New(*ep, *o.Faults)
			if err != nil {
				return nil, err
			}
			c.proxies = append(c.proxies, p)
			if *ep, err = c.serve(p); err != nil {
				return nil, err
			}
		}
	}
	c.fnEndpoints = [2]string{fnKinesis, fnDynamoDB}

	// Loopback services of our own.
	if c.xray, err = xraylocal.Listen(); err != nil {
		return nil, err
	}
	c.State.XRay = c.xray.Addr()
	c.sqs = sqslocal.New(region, account)
	if c.State.SQS, err = c.serve(c.sqs); err != nil {
		return nil, err
	}
	c.sqs.BaseURL = c.State.SQS
	films, err := site.Load(filepath.Join(o.Root, "node_modules", "vega-datasets", "data", "movies.json"))
	if err != nil {
		return nil, err
	}
	c.site = site.New(films, 100)
	if c.State.Site, err = c.serve(c.site); err != nil {
		return nil, err
	}

	awsCfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	kin := kinesis.NewFromConfig(awsCfg, func(op *kinesis.Options) { op.BaseEndpoint = aws.String(o.KinesisEndpoint) })
	c.dynamo = dynamodb.NewFromConfig(awsCfg, func(op *dynamodb.Options) { op.BaseEndpoint = aws.String(o.DynamoDBEndpoint) })

	// The shared stack.
	slsOpts := sls.Options{Stage: o.Stage, Region: region}
	resFile, err := sls.Load(filepath.Join(o.Root, "deploy", "resources", "serverless.yml"), slsOpts)
	if err != nil {
		return nil, err
	}
	res, err := resFile.Service()
	if err != nil {
		return nil, err
	}
	created, err := stack.Create(ctx, res, stack.Clients{Kinesis: kin, DynamoDB: c.dynamo, SQS: c.sqs}, region, account, c.log)
	if err != nil {
		return nil, err
	}
	for _, n := range created.Notes {
		c.log.Info("resource", "note", n)
	}
	c.State.Exports = created.Exports
	env := created.Env(region, account, created.Exports)

	// The functions.
	invokeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.State.Lambda = "http://" + invokeLn.Addr().String()
	gw := &apigw.Gateway{APIID: "local", Stage: o.Stage, AccountID: account, OnSegment: c.xray.Put, Log: c.log}
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	type streamRun struct {
		ev   sls.StreamEvent
		host *lambda.Host
	}
	var streams []streamRun
	asyncRetries := map[string]int{}
	for _, svcDir := range Services {
		f, err := sls.Load(filepath.Join(o.Root, svcDir, "serverless.yml"), slsOpts)
		if err != nil {
			return nil, err
		}
		svc, err := f.Service()
		if err != nil {
			return nil, err
		}
		bin, err := c.build(ctx, svc.Dir, svcDir)
		if err != nil {
			return nil, err
		}
		var throttle *apigw.Limiter
		if t, ok := svc.Custom["stageThrottling"].(map[string]any); ok {
			throttle = apigw.NewLimiter(num(t["rateLimit"]), num(t["burstLimit"]))
		}
		for _, fn := range svc.Functions {
			fnEnv, err := c.environment(fn, env)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", svcDir, err)
			}
			h := lambda.NewHost(lambda.Config{
				Name: fn.Name, ARN: "arn:aws:lambda:" + region + ":" + account + ":function:" + fn.Name,
				Binary: bin, Env: fnEnv, Timeout: fn.Timeout, MemoryMB: fn.MemoryMB, MaxEnvs: fn.Reserved, Region: region,
				Log: o.Log, OnSegment: c.functionSegment,
			})
			c.hosts = append(c.hosts, h)
			c.State.Functions = append(c.State.Functions, fn.Name)
			if fn.AsyncRetries != nil {
				asyncRetries[fn.Name] = *fn.AsyncRetries
			}
			for _, ev := range fn.HTTP {
				gw.Routes = append(gw.Routes, apigw.Route{API: o.Stage + "-" + svc.Name, Method: ev.Method, Path: ev.Path, IAM: ev.IAM, Host: h, Throttle: throttle})
			}
			for _, ev := range fn.Streams {
				streams = append(streams, streamRun{ev, h})
			}
		}
	}
	c.invoke = lambda.NewService(c.hosts, c.log)
	c.invoke.AsyncRetries = func(name string) int {
		if n, ok := asyncRetries[name]; ok {
			return n
		}
		return 2
	}
	if o.AsyncRetryDelays != nil {
		c.invoke.RetryDelays = o.AsyncRetryDelays
	}
	c.serveOn(invokeLn, c.invoke)
	api, err := c.serve(gw)
	if err != nil {
		return nil, err
	}
	c.State.API = api + "/" + o.Stage

	for _, s := range streams {
		arn, err := env.String(s.ev.ARN, "stream.arn")
		if err != nil {
			return nil, err
		}
		name, ok := created.Streams[arn]
		if !ok {
			return nil, fmt.Errorf("stream event of %s: %s is not a stream of the resources stack", s.host.Name(), arn)
		}
		cfg := esm.Config{StreamARN: arn, StreamName: name, BatchSize: s.ev.BatchSize, BatchWindow: s.ev.BatchWindow,
			StartingPosition: s.ev.StartingPosition, ReportBatchItemFailures: s.ev.ReportBatchItemFailures,
			BisectBatchOnFunctionError: s.ev.BisectBatchOnFunctionError, MaximumRetryAttempts: s.ev.MaximumRetryAttempts,
			MaximumRecordAge: s.ev.MaximumRecordAge, Region: region}
		if s.ev.OnFailure != nil {
			dest, err := env.String(s.ev.OnFailure, "destinations.onFailure.arn")
			if err != nil {
				return nil, err
			}
			cfg.OnFailure = func(_ context.Context, msg []byte) error { return c.sqs.Send(dest, string(msg)) }
		}
		m := esm.New(cfg, kin, s.host, c.log)
		c.mappings = append(c.mappings, m)
		c.wg.Go(func() {
			if err := m.Run(runCtx); err != nil && runCtx.Err() == nil {
				c.log.Error("event source mapping", "function", s.host.Name(), "error", err)
			}
		})
	}
	if c.State.Console, err = c.serve(c.console()); err != nil {
		return nil, err
	}
	if err := c.writeState(); err != nil {
		return nil, err
	}
	return c, nil
}

// build compiles a service's function for this machine, as make build does
// for Lambda, into .moviepipe/build/<service>/bootstrap.
func (c *Cloud) build(ctx context.Context, dir, name string) (string, error) {
	out := filepath.Join(c.opts.Root, ".moviepipe", "build", name, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, "./cmd/lambda")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", name, err, b)
	}
	return out, nil
}

func (c *Cloud) environment(fn sls.Function, env sls.Env) (map[string]string, error) {
	out := map[string]string{}
	keys := make([]string, 0, len(fn.Environment))
	for k := range fn.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		v, err := env.String(fn.Environment[k], "environment."+k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[k] = v
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_KINESIS":  c.fnEndpoints[0],
		"AWS_ENDPOINT_URL_DYNAMODB": c.fnEndpoints[1],
		"AWS_ENDPOINT_URL_LAMBDA":   c.State.Lambda,
		"AWS_ENDPOINT_URL_SQS":      c.State.SQS,
		"AWS_XRAY_DAEMON_ADDRESS":   c.State.XRay,
		"AWS_ACCESS_KEY_ID":         "local",
		"AWS_SECRET_ACCESS_KEY":     "local",
		"AWS_SESSION_TOKEN":         "local",
		"AWS_EC2_METADATA_DISABLED": "true",
		"SCRAPE_ALLOWED_NETWORKS":   "127.0.0.0/8",
	} {
		out[k] = v
	}
	if _, ok := out["SCRAPE_URL"]; ok {
		out["SCRAPE_URL"] = c.State.Site + "/films"
		if c.opts.ScrapePath != "" {
			out["SCRAPE_URL"] = c.State.Site + c.opts.ScrapePath
		}
		if c.opts.ScrapeURL != "" {
			out["SCRAPE_URL"] = c.opts.ScrapeURL
		}
		if c.opts.ScrapeProfile != "" {
			out["SCRAPE_PROFILE"] = c.opts.ScrapeProfile
		}
	}
	for k, v := range c.opts.Env {
		out[k] = v
	}
	return out, errors.Join(errs...)
}

// functionSegment turns a Lambda invocation into the function's X-Ray segment.
func (c *Cloud) functionSegment(s lambda.Segment) {
	awsDoc, _ := json.Marshal(map[string]any{"request_id": s.RequestID})
	c.xray.Put(xraylocal.Segment{ID: s.ID, TraceID: s.TraceID, ParentID: s.ParentID, Name: s.Name, Origin: "AWS::Lambda::Function",
		StartTime: float64(s.Start.UnixNano()) / 1e9, EndTime: float64(s.End.UnixNano()) / 1e9, Fault: s.Error, AWS: awsDoc})
}

func (c *Cloud) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	c.serveOn(ln, h)
	return "http://" + ln.Addr().String(), nil
}

func (c *Cloud) serveOn(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	c.servers = append(c.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

func (c *Cloud) writeState() error {
	c.statePath = filepath.Join(c.opts.Root, ".moviepipe", "local.json")
	if err := os.MkdirAll(filepath.Dir(c.statePath), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c.State, "", "  ")
	return os.WriteFile(c.statePath, append(b, '\n'), 0o644)
}

// Mappings returns the event source mappings' shard states, by function.
func (c *Cloud) Mappings() []map[string]esm.ShardState {
	var out []map[string]esm.ShardState
	for _, m := range c.mappings {
		out = append(out, m.State())
	}
	return out
}

// Replay delivers every stream's records again from the trim horizon, as a
// new event source mapping would, and returns when each shard is caught up.
func (c *Cloud) Replay(ctx context.Context) error {
	for _, live := range c.mappings {
		m := live.FromTrimHorizon()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.Run(rctx) }()
		for {
			st := m.State()
			caught := len(st) > 0
			for _, s := range st {
				caught = caught && s.CaughtUp && s.Read > 0
			}
			if caught {
				break
			}
			select {
			case <-ctx.Done():
				cancel()
				if err := <-done; err != nil {
					return errors.Join(ctx.Err(), err)
				}
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		cancel()
		if err := <-done; err != nil {
			return err
		}
	}
	return nil
}

// SetSiteFault makes the sample site's list pages misbehave ("" for none).
func (c *Cloud) SetSiteFault(mode string) { c.site.Fault.Store(mode) }

// Faults returns the fault-injecting proxies (Kinesis, DynamoDB), if any.
func (c *Cloud) Faults() []*faults.Proxy { return c.proxies }

// SitePages is how many catalogue list pages the site has served.
func (c *Cloud) SitePages() int { return int(c.site.ListPages.Load()) }

// DynamoDB returns a client of the cloud's DynamoDB.
func (c *Cloud) DynamoDB() *dynamodb.Client { return c.dynamo }

// XRay returns the X-Ray daemon.
func (c *Cloud) XRay() *xraylocal.Daemon { return c.xray }

// SQS returns the local SQS.
func (c *Cloud) SQS() *sqslocal.Server { return c.sqs }

// Hosts returns the function hosts.
func (c *Cloud) Hosts() []*lambda.Host { return c.hosts }

// Close stops everything: mappings, functions, servers, emulators, and
// removes the state file. It is safe on a partly started cloud, and to call
// again.
func (c *Cloud) Close() { c.closeOnce.Do(c.close) }

func (c *Cloud) close() {
	if c.cancel != nil {
		c.cancel()
	}
	c.wg.Wait()
	if c.invoke != nil {
		c.invoke.Close()
	}
	for _, h := range c.hosts {
		h.Close()
	}
	for _, s := range c.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.Shutdown(ctx)
		cancel()
		_ = s.Close()
	}
	if c.xray != nil {
		_ = c.xray.Close()
	}
	if c.emu != nil {
		_ = c.emu.Stop()
	}
	if c.statePath != "" {
		_ = os.Remove(c.statePath)
	}
}

func num(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case float64:
		return n
	}
	var f float64
	_, _ = fmt.Sscan(fmt.Sprint(v), &f)
	return f
}
