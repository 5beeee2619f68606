package cloud

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/cfnapi"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
	"github.com/moviepipe/moviepipe/deploy/local/internal/lines"
	"github.com/moviepipe/moviepipe/deploy/local/s3local"
	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
	"github.com/moviepipe/moviepipe/deploy/local/site"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// Up starts everything and returns when it is ready. On error nothing is
// left running.
func Up(ctx context.Context, o Options) (c *Cloud, err error) {
	if c, err = newCloud(o); err != nil {
		return nil, err
	}
	started := c // a failing return sets c to nil before this runs
	defer func() {
		if err != nil {
			started.Close()
			c = nil
		}
	}()
	for _, step := range []func(context.Context) error{c.claim, c.reservePorts, c.startEmulators, c.loopback, c.apis} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	// The stacks, from their packaged templates.
	if !c.opts.Empty {
		if err := c.deployPackaged(ctx); err != nil {
			return nil, err
		}
	}
	for _, n := range c.State.NotEmulated {
		c.log.Info("resource", "note", n)
	}
	if c.State.Console, err = c.serveAs(portConsole, c.console()); err != nil {
		return nil, err
	}
	c.mu.Lock() // a deploy through the control plane writes it too
	err = c.writeState()
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// newCloud is a cloud of o, its defaults filled in, not started.
func newCloud(o Options) (*Cloud, error) {
	if o.Stage == "" {
		o.Stage = "local"
	}
	if err := checkPorts(o.Ports); err != nil {
		return nil, err
	}
	var err error
	if o.Root, err = filepath.Abs(o.Root); err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	c := &Cloud{opts: o, log: slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelInfo})),
		stacks: map[string]*stackRun{}, stages: map[string]*stage{}, streams: map[string]string{},
		exports: map[string]map[string]string{}, notes: map[string][]string{}}
	c.State.Stage, c.State.PID = o.Stage, os.Getpid()
	return c, nil
}

// claim takes the cloud's own directory and opens its function log.
func (c *Cloud) claim(context.Context) error {
	var err error
	if c.dir, err = claimDir(c.opts.Root, c.opts.Dir); err != nil {
		return err
	}
	if c.fnlog, err = openFunctionLog(c.dir.path); err != nil {
		return err
	}
	c.State.Logs = c.fnlog.path
	return nil
}

// startEmulators starts the emulators unless Options name running ones, and
// the fault-injecting proxies the functions reach them through, if any.
func (c *Cloud) startEmulators(ctx context.Context) error {
	o := c.opts
	kin, ddb := o.KinesisEndpoint, o.DynamoDBEndpoint
	if kin == "" || ddb == "" {
		var err error
		c.emu, err = emulators.Start(ctx, emulators.Config{Root: o.Root, Log: &lines.Prefixer{Prefix: "[emulator] ", W: o.Log}})
		if err != nil {
			return err
		}
		kin, ddb = c.emu.Kinesis, c.emu.DynamoDB
		c.State.PIDs = append(c.State.PIDs, c.emu.PIDs()...)
	}
	c.State.Kinesis, c.State.DynamoDB = kin, ddb
	c.fnEndpoints = [2]string{kin, ddb}
	if o.Faults == nil {
		return nil
	}
	for i := range c.fnEndpoints {
		p, err := faults.New(c.fnEndpoints[i], *o.Faults)
		if err != nil {
			return err
		}
		c.proxies = append(c.proxies, p)
		if c.fnEndpoints[i], err = c.serve(p); err != nil {
			return err
		}
	}
	return nil
}

// loopback starts the services of our own: the X-Ray daemon, SQS, Secrets
// Manager and the sample catalogue site.
func (c *Cloud) loopback(context.Context) error {
	var err error
	if c.xray, err = xraylocal.Listen(); err != nil {
		return err
	}
	c.State.XRay = c.xray.Addr()
	if c.opts.NoTraceLimit {
		c.xray.LiftTraceLimit()
		c.log.Info("xray", "note", "X-Ray's trace document size limit (500 KB) is lifted: every segment of a trace is kept (cloud.Options.NoTraceLimit)")
	}
	c.sqs = sqslocal.New(region, account)
	if c.State.SQS, err = c.serve(c.sqs); err != nil {
		return err
	}
	c.sqs.BaseURL = c.State.SQS
	c.secrets = secretslocal.NewStore()
	if c.secretsAPI, err = c.serve(secretslocal.NewService(c.secrets)); err != nil {
		return err
	}
	films, err := site.Load(filepath.Join(c.opts.Root, "node_modules", "vega-datasets", "data", "movies.json"))
	if err != nil {
		return err
	}
	c.site = site.New(films, 100)
	c.State.Site, err = c.serveAs(portSite, c.site)
	return err
}

// apis makes the clients of the emulators and serves the AWS APIs: the
// functions' front doors, the Lambda account and Invoke API, the gateway,
// and the control plane a deploy tool calls.
func (c *Cloud) apis(context.Context) error {
	awsCfg := aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	c.kinesis = kinesis.NewFromConfig(awsCfg, func(op *kinesis.Options) { op.BaseEndpoint = aws.String(c.State.Kinesis) })
	c.dynamo = dynamodb.NewFromConfig(awsCfg, func(op *dynamodb.Options) { op.BaseEndpoint = aws.String(c.State.DynamoDB) })
	c.clients = stack.Clients{Kinesis: c.kinesis, DynamoDB: c.dynamo, SQS: c.sqs, Secrets: c.secrets}
	c.s3 = s3local.New(s3local.Options{Region: region})
	c.cfn = &cfnapi.Service{Region: region, Account: account, Deployer: c, Fetch: c.fetchTemplate, Log: c.log}
	if err := c.services(); err != nil {
		return err
	}
	return c.controlPlane()
}
