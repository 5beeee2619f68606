// Package cloud runs the whole system on one machine, from the CloudFormation
// that make package-local writes for the four stacks: the emulators and the
// stacks' streams, tables and queue, every AWS::Lambda::Function as its real
// bootstrap behind the Lambda Runtime API, the REST APIs' methods behind a
// local API Gateway, the Kinesis event source mappings, an X-Ray daemon, the
// Lambda Invoke API, a small SQS, a small Secrets Manager, the sample
// catalogue site and a console.
// What the stacks declare and the cloud does not run is listed at start
// (State.NotEmulated); a property that changes behaviour and is not
// implemented stops the start, naming it.
package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/apigw"
	"github.com/moviepipe/moviepipe/deploy/local/cfnapi"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/s3local"
	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
	"github.com/moviepipe/moviepipe/deploy/local/site"
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
	// Concurrency is the account's Lambda concurrency in the Region (its
	// "Concurrent executions" quota), of which the functions' reserved
	// concurrency is carved [NewAccountConcurrency, 10].
	Concurrency int
	// Faults, when set, puts a fault-injecting proxy between the functions
	// and the emulators.
	Faults *faults.Config
	// NoFrontDoors has the functions call the emulators directly, their
	// calls unchecked: only to measure what the front doors cost (make
	// bench). IAM is not enforced then.
	NoFrontDoors bool
	// NoTraceLimit lifts X-Ray's trace document size limit (500 KB) in the
	// local daemon: only for make bench, which traces every record to time
	// each one. The cloud says so when it starts.
	NoTraceLimit bool
	// Empty starts the cloud with no stacks: they arrive by deploys (osls
	// deploy through Endpoints, make deploy STAGE=local).
	Empty bool
	// Templates is where each stack's packaged template is, as
	// <Templates>/<stack>/cloudformation-template-update-stack.json
	// [<Root>/.moviepipe/package, where make package-local writes them].
	Templates string
	// Dir is the cloud's own directory: its state file (StateFile), its
	// lock and its builds; no other cloud may use it while this one runs
	// (Up answers a *RunningError). [a new directory under
	// <Root>/.moviepipe/clouds, removed by Close]. make up's is
	// CheckoutDir, where the tools find it.
	Dir string
	// Ports, when set, fixes the ports of what a person bookmarks: the
	// console on Ports, the API Gateway stage on Ports+1, the sample site
	// on Ports+2. A taken one fails Up, naming it. [0: free ports]
	Ports int
}

// State is what a cloud's state file holds (StateFile in its directory;
// make up's is .moviepipe/local.json).
type State struct {
	PID      int    `json:"pid"` // the cloud's process
	Stage    string `json:"stage"`
	API      string `json:"api"`
	Site     string `json:"site"`
	Kinesis  string `json:"kinesis"`
	DynamoDB string `json:"dynamodb"`
	Lambda   string `json:"lambda"`
	SQS      string `json:"sqs"`
	XRay     string `json:"xray"`
	Console  string `json:"console"`
	// Logs is the functions' log (LogFile in the cloud's directory).
	Logs      string            `json:"logs"`
	Exports   map[string]string `json:"exports"`
	Functions []string          `json:"functions"`
	// NotEmulated lists what the stacks declare that the cloud does not run,
	// or accepts without a local effect.
	NotEmulated []string `json:"notEmulated"`
	// Credentials are the operator's: sign requests to AWS_IAM methods and
	// the Lambda Invoke API with them (SigV4, region us-east-1). They are
	// made at each start.
	Credentials Credentials `json:"credentials"`
	// Endpoints are the AWS APIs the operator's tools call (osls, the AWS
	// CLI, an SDK), by the service's name in AWS_ENDPOINT_URL_<SERVICE>:
	// the control plane (cloudformation, s3, lambda, …) and the data plane
	// (kinesis, dynamodb, sqs: front doors that verify SigV4); "" is
	// AWS_ENDPOINT_URL, every other service, which refuses by name.
	Endpoints map[string]string `json:"endpoints"`
	PIDs      []int             `json:"pids"`
}

// Cloud is a running local cloud.
type Cloud struct {
	State State
	opts  Options
	log   *slog.Logger

	closeOnce sync.Once

	emu     *emulators.Emulators
	servers []*http.Server
	invoke  *lambda.Service
	gw      *apigw.Gateway
	account *lambda.Account
	xray    *xraylocal.Daemon
	sqs     *sqslocal.Server
	secrets *secretslocal.Store
	// secretsAPI is the local Secrets Manager, behind its front door.
	secretsAPI string
	s3         *s3local.Server
	cfn        *cfnapi.Service
	proxies    []*faults.Proxy
	dynamo     *dynamodb.Client
	kinesis    *kinesis.Client
	clients    stack.Clients
	// fnEndpoints are the Kinesis and DynamoDB endpoints behind the front
	// doors: the emulators, or fault-injecting proxies.
	fnEndpoints [2]string
	principals  *principals
	report      *frontdoor.Report
	doors       map[string]string // service → front door URL
	site        *site.Site
	dir         *dir
	fnlog       *functionLog
	reserved    map[string]net.Listener // fixed ports taken at start, not yet served
	// stateWritten is set once Up has written the state file: deploys
	// then keep it current.
	stateWritten bool

	// mu guards the deployed stacks; a deploy holds it throughout.
	mu        sync.Mutex
	stacks    map[string]*stackRun // by stack name
	order     []string             // stack names, in the order deployed
	stages    map[string]*stage    // by REST API id/stage name
	streams   map[string]string    // Kinesis stream ARN → name, of every stack
	exports   map[string]map[string]string
	notes     map[string][]string
	buildDirs []string
}

const (
	region  = emulators.Region
	account = "000000000000"
)

// NewAccountConcurrency is the local account's Lambda concurrency unless
// Options say otherwise: a new account's. Lambda documents 1,000 as the
// default quota (lambda.DefaultConcurrency) but "New AWS accounts have
// reduced concurrency"; they are seen with 10, all of it kept unreserved.
// The first deploy happens on such an account, so a stack that reserves
// concurrency fails here as it would there
// (TestReservationBeyondTheAccountStopsTheStart).
const NewAccountConcurrency = 10

// build compiles a service's function for this machine, as make build does
// for Lambda, into a folder of its own under the cloud's build/: a host
// replaced by a deploy may still be running the binary it had.
func (c *Cloud) build(ctx context.Context, dir, name string) (string, error) {
	parent := filepath.Join(c.dir.path, "build")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(parent, name+"-")
	if err != nil {
		return "", err
	}
	c.buildDirs = append(c.buildDirs, tmp)
	out := filepath.Join(tmp, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", out, "./cmd/lambda")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", name, err, b)
	}
	return out, nil
}

// environment is a function's variables: its template's, then what points
// it at the local cloud.
func (c *Cloud) environment(f *function) map[string]string {
	id := c.principals.named(f.name).Identity
	out := map[string]string{}
	for k, v := range f.env {
		out[k] = v
	}
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_KINESIS":  c.doors["kinesis"],
		"AWS_ENDPOINT_URL_DYNAMODB": c.doors["dynamodb"],
		"AWS_ENDPOINT_URL_LAMBDA":   c.doors["lambda"],
		"AWS_ENDPOINT_URL_SQS":      c.doors["sqs"],
		// The SDK's variable for Secrets Manager (its service id, "Secrets
		// Manager", upper-cased, the space an underscore).
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": c.doors["secretsmanager"],
		"AWS_XRAY_DAEMON_ADDRESS":          c.State.XRay,
		"AWS_ACCESS_KEY_ID":                id.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":            id.SecretAccessKey,
		"AWS_SESSION_TOKEN":                id.SessionToken,
		"AWS_EC2_METADATA_DISABLED":        "true",
		"SCRAPE_ALLOWED_NETWORKS":          "127.0.0.0/8",
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
	if c.opts.NoFrontDoors {
		out["AWS_ENDPOINT_URL_KINESIS"], out["AWS_ENDPOINT_URL_DYNAMODB"] = c.fnEndpoints[0], c.fnEndpoints[1]
		out["AWS_ENDPOINT_URL_LAMBDA"], out["AWS_ENDPOINT_URL_SQS"] = c.State.Lambda, c.State.SQS
		out["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = c.secretsAPI
	}
	for k, v := range c.opts.Env {
		out[k] = v
	}
	return out
}

// functionSegment turns a Lambda invocation into the function's X-Ray segment.
func (c *Cloud) functionSegment(s lambda.Segment) {
	awsDoc, _ := json.Marshal(map[string]any{"request_id": s.RequestID})
	c.xray.Put(xraylocal.Segment{ID: s.ID, TraceID: s.TraceID, ParentID: s.ParentID, Name: s.Name, Origin: "AWS::Lambda::Function",
		StartTime: float64(s.Start.UnixNano()) / 1e9, EndTime: float64(s.End.UnixNano()) / 1e9, Fault: s.Error, AWS: awsDoc})
}

func (c *Cloud) serve(h http.Handler) (string, error) { return c.serveAs("", h) }

func (c *Cloud) serveOn(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	c.servers = append(c.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// StatePath is where the cloud keeps its State, in its own directory.
func (c *Cloud) StatePath() string { return filepath.Join(c.dir.path, StateFile) }

// writeState writes the state file; c.mu is held.
func (c *Cloud) writeState() error {
	c.stateWritten = true
	b, _ := json.MarshalIndent(c.State, "", "  ")
	return os.WriteFile(c.StatePath(), append(b, '\n'), 0o600) // it holds the operator's secret
}

// Close stops everything: mappings, functions, servers, emulators, and
// removes what the cloud wrote in its directory, never another cloud's. It
// is safe on a partly started cloud, and to call again.
func (c *Cloud) Close() { c.closeOnce.Do(c.close) }

func (c *Cloud) close() {
	c.mu.Lock()
	for _, name := range slices.Clone(c.order) {
		c.stop(name)
	}
	c.mu.Unlock()
	if c.invoke != nil {
		c.invoke.Close()
	}
	for _, s := range c.servers {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.Shutdown(ctx)
		cancel()
		_ = s.Close()
	}
	for _, ln := range c.reserved {
		_ = ln.Close()
	}
	if c.xray != nil {
		_ = c.xray.Close()
	}
	if c.emu != nil {
		_ = c.emu.Stop()
	}
	for _, dir := range c.buildDirs {
		_ = os.RemoveAll(dir)
	}
	c.fnlog.close()
	if c.dir != nil {
		if err := c.dir.release(); err != nil {
			c.log.Warn("state", "error", err)
		}
	}
}
