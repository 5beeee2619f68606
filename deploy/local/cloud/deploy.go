package cloud

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/s3local"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
)

// declared is what one stack declares, as the local cloud runs it.
type declared struct {
	bucket    string   // the deployment bucket, if it has one
	notes     []string // not emulated, or accepted without a local effect
	functions []*function
	roles     map[string]*cfn.Resource // by ARN
	mappings  []*cfn.Resource
	apis      []*restAPI
}

func newDeclared() *declared {
	return &declared{roles: map[string]*cfn.Resource{}}
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
	runtime      string
	tracingMode  string // Active or PassThrough
	logging      lambda.Logging
	invokeConfig lambda.AsyncConfig
	modified     time.Time // when its code or configuration last changed (Lambda's LastModified)
}

func (d *declared) function(arn string) (*function, bool) {
	for _, f := range d.functions {
		if f.arn == arn || f.name == arn {
			return f, true
		}
	}
	return nil, false
}

// create makes one resource as its stack is resolved: a data resource on
// the emulators (kept when it exists), a deployment bucket on the local S3,
// or a record of what is started once the stack is resolved (functions,
// mappings, routes). prev is the resource as the stack had it, if it did:
// a data resource whose properties changed is refused, as updating one in
// place is not emulated.
func (c *Cloud) create(ctx context.Context, d *declared, r, prev *cfn.Resource) error {
	if prev != nil && isData(r.Type) && !reflect.DeepEqual(prev.Properties, r.Properties) {
		return fmt.Errorf("updating %s in place is not emulated: remove the stack (make remove STAGE=%s) and deploy it again", r.Type, c.opts.Stage)
	}
	if prev != nil && r.Type == "AWS::SecretsManager::Secret" {
		// The secret is kept, with its ARN (whose suffix is random) and
		// its value, for as long as its stack declares it.
		r.Ref, r.Attrs = prev.Ref, prev.Attrs
	}
	made, notes, err := stack.Create(ctx, c.clients, r)
	d.notes = append(d.notes, notes...)
	if made || err != nil {
		if r.Type == "AWS::Kinesis::Stream" && err == nil {
			c.streams[r.Attrs["Arn"]] = r.Ref
		}
		return err
	}
	switch r.Type {
	case "AWS::S3::Bucket":
		return c.bucket(d, r)
	case "AWS::IAM::Role":
		return d.role(r)
	case "AWS::Lambda::Function":
		return c.addFunction(d, r)
	case "AWS::Lambda::EventSourceMapping":
		d.mappings = append(d.mappings, r)
		return nil
	case "AWS::Lambda::EventInvokeConfig":
		return d.invokeConfig(r)
	case "AWS::ApiGateway::Deployment":
		if err := c.checkStage(r, prev); err != nil {
			return err
		}
		return d.api(r)
	case "AWS::ApiGateway::RestApi", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGateway::RequestValidator":
		return d.api(r)
	}
	d.notes = append(d.notes, notEmulated(r))
	return nil
}

// isData reports whether a type's resource lives on the emulators.
func isData(typ string) bool {
	switch typ {
	case "AWS::Kinesis::Stream", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::SecretsManager::Secret":
		return true
	}
	return false
}

// bucket makes a deployment bucket on the local S3, where osls uploads the
// templates and code.
func (c *Cloud) bucket(d *declared, r *cfn.Resource) error {
	notes, err := r.Check([]string{"BucketName"}, []string{"BucketEncryption", "PublicAccessBlockConfiguration", "OwnershipControls", "Tags", "VersioningConfiguration"})
	d.notes = append(d.notes, notes...)
	if err != nil {
		return err
	}
	if v, _ := r.Properties["VersioningConfiguration"].(map[string]any); v["Status"] == "Enabled" {
		return errors.New("property VersioningConfiguration: versioning is not emulated")
	}
	if err := c.s3.CreateBucket(r.Ref); err != nil && !errors.Is(err, s3local.ErrBucketAlreadyOwnedByYou) {
		return err
	}
	d.bucket = r.Ref
	return nil
}

// checkStage refuses, as CloudFormation does, a new Deployment whose
// StageDescription would configure a stage that already exists.
func (c *Cloud) checkStage(r, prev *cfn.Resource) error {
	name, _ := r.Properties["StageName"].(string)
	api, _ := r.Properties["RestApiId"].(string)
	if _, has := r.Properties["StageDescription"]; !has || prev != nil || c.stages[api+"/"+name] == nil {
		return nil
	}
	return errors.New("StageDescription cannot be specified when stage referenced by StageName already exists")
}

// notEmulated says what a resource the cloud does not run means locally.
func notEmulated(r *cfn.Resource) string {
	why := map[string]string{
		"AWS::S3::BucketPolicy":      "the deployment bucket's policy",
		"AWS::Logs::LogGroup":        "function logs go to the terminal and the cloud's functions.log (make logs), prefixed by function",
		"AWS::Lambda::Version":       "functions run as $LATEST",
		"AWS::Lambda::Permission":    "resource-based policies are not evaluated: API Gateway may invoke any function it routes to",
		"AWS::SNS::Topic":            "nothing is published",
		"AWS::CloudWatch::Alarm":     "no metrics: EMF lines stay in the function logs",
		"AWS::CloudWatch::Dashboard": "no metrics",
		"AWS::KMS::Key":              "no KMS: nothing is encrypted with it (the alarm topic publishes nothing)",
		"AWS::KMS::Alias":            "no KMS",
		"AWS::Logs::QueryDefinition": "no Logs Insights: function logs go to the terminal and functions.log (make logs)",
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
