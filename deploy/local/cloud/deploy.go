package cloud

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
)

// Stacks are the stacks in the order make deploy creates them: the shared
// one first, whose exports the services import.
var Stacks = []string{"deploy/resources", "processor", "query-api", "scraper"}

// PackageDir is where make package-local writes a stack's CloudFormation
// for stage local (osls package --package), which the local cloud runs.
func PackageDir(root, stackDir string) string {
	return filepath.Join(root, ".moviepipe", "package", filepath.FromSlash(stackDir))
}

// declared is what the stacks declare, as the local cloud will run it.
type declared struct {
	exports   map[string]string
	notes     []string // not emulated, or accepted without a local effect
	functions []*function
	roles     map[string]*cfn.Resource // by ARN
	streams   map[string]string        // Kinesis stream ARN → name
	mappings  []*cfn.Resource
	apis      []*restAPI
}

// function is an AWS::Lambda::Function, with its code's source folder.
type function struct {
	res          *cfn.Resource
	name, arn    string
	dir          string // the service folder whose ./cmd/lambda is its code
	env          map[string]string
	timeout      time.Duration
	memoryMB     int
	reserved     *int // ReservedConcurrentExecutions, if any
	roleARN      string
	invokeConfig lambda.AsyncConfig
}

func (d *declared) function(arn string) (*function, bool) {
	for _, f := range d.functions {
		if f.arn == arn || f.name == arn {
			return f, true
		}
	}
	return nil, false
}

// deploy creates every stack from its packaged template, in order.
func (c *Cloud) deploy(ctx context.Context, cl stack.Clients) (*declared, error) {
	d := &declared{exports: map[string]string{}, roles: map[string]*cfn.Resource{}, streams: map[string]string{}}
	for _, dir := range Stacks {
		if err := c.deployStack(ctx, cl, d, dir); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (c *Cloud) deployStack(ctx context.Context, cl stack.Clients, d *declared, dir string) error {
	pkg := PackageDir(c.opts.Root, dir)
	if c.opts.Templates != "" {
		pkg = filepath.Join(c.opts.Templates, filepath.FromSlash(dir))
	}
	path := filepath.Join(pkg, "cloudformation-template-update-stack.json")
	if err := fresh(path, filepath.Join(c.opts.Root, dir, "serverless.yml")); err != nil {
		return err
	}
	tpl, err := cfn.Load(path)
	if err != nil {
		return err
	}
	pk, err := readPackaged(filepath.Join(filepath.Dir(path), "serverless-state.json"))
	if err != nil {
		return err
	}
	name := stackName(dir, c.opts.Stage)
	apis := len(d.apis)
	s, err := cfn.Resolve(tpl, cfn.Env{
		StackName: name, Region: region, Account: account, Parameters: pk.params,
		Imports: func(n string) (string, bool) { v, ok := d.exports[n]; return v, ok },
		Create:  func(r *cfn.Resource) error { return c.create(ctx, cl, d, filepath.Join(c.opts.Root, dir), r) },
	})
	if err != nil {
		return fmt.Errorf("stack %s (%s): %w", name, path, err)
	}
	for _, a := range d.apis[apis:] {
		if err := a.routes(d, c.opts.Stage); err != nil {
			return fmt.Errorf("stack %s: %w", name, err)
		}
		if err := a.patchStage(pk.stageAfter); err != nil {
			return fmt.Errorf("stack %s: stage update after deploy: %w", name, err)
		}
	}
	for k, v := range s.Exports {
		d.exports[k] = v
	}
	return nil
}

// fresh refuses a template older than the serverless.yml it comes from.
func fresh(template, source string) error {
	t, err := os.Stat(template)
	if err != nil {
		return fmt.Errorf("%s: %w (run make package-local, which make up and make demo run for you)", template, err)
	}
	if s, err := os.Stat(source); err == nil && s.ModTime().After(t.ModTime()) {
		return fmt.Errorf("%s is older than %s: run make package-local", template, source)
	}
	return nil
}

// stackName is the stack's name as osls names it: the service and the stage.
func stackName(dir, stage string) string {
	if dir == "deploy/resources" {
		return "moviepipe-" + stage
	}
	return "moviepipe-" + dir + "-" + stage
}

// create makes one resource, or records it for the pieces built once every
// stack is resolved (functions, mappings, routes).
func (c *Cloud) create(ctx context.Context, cl stack.Clients, d *declared, dir string, r *cfn.Resource) error {
	made, notes, err := stack.Create(ctx, cl, r)
	d.notes = append(d.notes, notes...)
	if made || err != nil {
		if r.Type == "AWS::Kinesis::Stream" {
			d.streams[r.Attrs["Arn"]] = r.Ref
		}
		return err
	}
	switch r.Type {
	case "AWS::IAM::Role":
		return d.role(r)
	case "AWS::Lambda::Function":
		return d.addFunction(r, dir)
	case "AWS::Lambda::EventSourceMapping":
		d.mappings = append(d.mappings, r)
		return nil
	case "AWS::Lambda::EventInvokeConfig":
		return d.invokeConfig(r)
	case "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method",
		"AWS::ApiGateway::RequestValidator", "AWS::ApiGateway::Deployment":
		return d.api(r)
	}
	d.notes = append(d.notes, notEmulated(r))
	return nil
}

// notEmulated says what a resource the cloud does not run means locally.
func notEmulated(r *cfn.Resource) string {
	why := map[string]string{
		"AWS::S3::Bucket":            "the deployment bucket: functions are built from source",
		"AWS::S3::BucketPolicy":      "the deployment bucket's policy",
		"AWS::Logs::LogGroup":        "function logs go to the terminal, prefixed by function",
		"AWS::Lambda::Version":       "functions run as $LATEST",
		"AWS::Lambda::Permission":    "resource-based policies are not evaluated: API Gateway may invoke any function it routes to",
		"AWS::SNS::Topic":            "nothing is published",
		"AWS::CloudWatch::Alarm":     "no metrics: EMF lines stay in the function logs",
		"AWS::CloudWatch::Dashboard": "no metrics",
	}[r.Type]
	if why == "" {
		why = "type not run by the local cloud"
	}
	return fmt.Sprintf("%s (%s): not emulated: %s", r.ID, r.Type, why)
}

func (d *declared) role(r *cfn.Resource) error {
	notes, err := r.Check([]string{"RoleName", "Path", "AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns"},
		[]string{"Description", "Tags", "MaxSessionDuration"})
	d.notes = append(d.notes, notes...)
	if err != nil {
		return err
	}
	d.roles[r.Attrs["Arn"]] = r
	return nil
}

func (d *declared) invokeConfig(r *cfn.Resource) error {
	if _, err := r.Check([]string{"FunctionName", "Qualifier", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"}, nil); err != nil {
		return err
	}
	if dest, _ := r.Properties["DestinationConfig"].(map[string]any); len(dest) > 0 {
		return errors.New("property DestinationConfig: asynchronous invocation destinations are not emulated")
	}
	if q, _ := r.Properties["Qualifier"].(string); q != "$LATEST" {
		return fmt.Errorf("property Qualifier %q: only $LATEST is emulated", q)
	}
	name, _ := r.Properties["FunctionName"].(string)
	f, ok := d.function(name)
	if !ok {
		return fmt.Errorf("property FunctionName %s: no function of these stacks", name)
	}
	if n, ok := r.Properties["MaximumRetryAttempts"].(float64); ok {
		f.invokeConfig.MaxRetries = int(n)
	}
	if n, ok := r.Properties["MaximumEventAgeInSeconds"].(float64); ok {
		f.invokeConfig.MaxEventAge = time.Duration(n) * time.Second
	}
	return nil
}

// sortedNotes are the notes, sorted, once each.
func (d *declared) sortedNotes() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range d.notes {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
