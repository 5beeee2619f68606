package cloud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/lambda"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/iam"
	lambdahost "github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// addFunction records an AWS::Lambda::Function. Its code is the zip the
// template names in the deployment bucket, as Lambda reads it; the zip
// names the service (<service>.zip, as make build writes it) whose
// ./cmd/lambda is built for this machine when the function starts (the zip
// holds the same source built for Lambda's arm64).
func (c *Cloud) addFunction(d *declared, r *cfn.Resource) error {
	notes, err := r.Check([]string{"FunctionName", "Handler", "Runtime", "Code", "Role", "Environment", "MemorySize", "Timeout",
		"ReservedConcurrentExecutions", "TracingConfig", "Architectures", "LoggingConfig"},
		[]string{"Description", "Tags", "KmsKeyArn"})
	d.notes = append(d.notes, notes...)
	if err != nil {
		return err
	}
	fn, err := cfn.As[lambda.Function](r)
	if err != nil {
		return err
	}
	var errs []string
	if fn.Handler == nil || *fn.Handler != "bootstrap" {
		errs = append(errs, "Handler: want bootstrap, the custom runtime's executable")
	}
	if fn.Runtime == nil || !strings.HasPrefix(*fn.Runtime, "provided.al") {
		errs = append(errs, "Runtime: only the OS-only runtimes (provided.al2023, provided.al2) are emulated")
	}
	if fn.TracingConfig != nil && fn.TracingConfig.Mode != nil && *fn.TracingConfig.Mode != "Active" && *fn.TracingConfig.Mode != "PassThrough" {
		errs = append(errs, "TracingConfig.Mode: Active or PassThrough")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	logging, err := loggingOf(&fn)
	if err != nil {
		return err
	}
	dir, err := c.code(fn.Code)
	if err != nil {
		return err
	}
	mode := "PassThrough"
	if fn.TracingConfig != nil && fn.TracingConfig.Mode != nil {
		mode = *fn.TracingConfig.Mode
	}
	f := &function{res: r, name: r.Ref, arn: r.Attrs["Arn"], dir: dir, roleARN: fn.Role, runtime: *fn.Runtime, tracingMode: mode,
		timeout: time.Duration(deref(fn.Timeout, 3)) * time.Second, memoryMB: deref(fn.MemorySize, 128),
		reserved: fn.ReservedConcurrentExecutions, invokeConfig: lambdahost.DefaultAsync, env: map[string]string{}, logging: logging}
	if fn.Environment != nil {
		if err := lambdahost.CheckVariables(fn.Environment.Variables); err != nil {
			return err
		}
		maps.Copy(f.env, fn.Environment.Variables)
	}
	if len(fn.Architectures) > 0 {
		d.notes = append(d.notes, fmt.Sprintf("%s (%s): Architectures %v: built for this machine instead", r.ID, r.Type, fn.Architectures))
	}
	d.functions = append(d.functions, f)
	return nil
}

// loggingOf is a function's LoggingConfig. Its log group must be the
// function's default one (/aws/lambda/<name>): the local cloud keeps every
// function's lines in one log (LogFile).
func loggingOf(fn *lambda.Function) (lambdahost.Logging, error) {
	lc := fn.LoggingConfig
	if lc == nil {
		return lambdahost.Logging{}, nil
	}
	l := lambdahost.Logging{Format: deref(lc.LogFormat, ""), ApplicationLevel: deref(lc.ApplicationLogLevel, ""),
		SystemLevel: deref(lc.SystemLogLevel, "")}
	if lc.LogGroup != nil && (fn.FunctionName == nil || *lc.LogGroup != "/aws/lambda/"+*fn.FunctionName) {
		return l, fmt.Errorf("LoggingConfig.LogGroup %s: only the function's default log group is emulated", *lc.LogGroup)
	}
	return l, lambdahost.CheckLogging(l)
}

// code finds a function's code: its zip must be in the local S3, and be a
// service of this repository.
func (c *Cloud) code(code *lambda.Function_Code) (string, error) {
	if code == nil || code.S3Bucket == nil || code.S3Key == nil {
		return "", errors.New("property Code: only S3Bucket and S3Key are emulated")
	}
	if _, ok := c.s3.GetObject(*code.S3Bucket, *code.S3Key); !ok {
		return "", errors.New("Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.") //nolint:staticcheck // Lambda's own text
	}
	service := strings.TrimSuffix(path.Base(*code.S3Key), ".zip")
	if !slices.Contains(Services, service) {
		return "", fmt.Errorf("property Code.S3Key %s: the local cloud runs the code of this repository's services (%s.zip), built for this machine", *code.S3Key, strings.Join(Services, ".zip, "))
	}
	return filepath.Join(c.opts.Root, service), nil
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

// mapping turns an AWS::Lambda::EventSourceMapping into the local poller's
// configuration, with AWS's defaults for what the template leaves out and
// AWS's answers for what CreateEventSourceMapping refuses.
func (c *Cloud) mapping(d *declared, r *cfn.Resource, ps map[string]*frontdoor.Principal) (esm.Config, *function, error) {
	var cfg esm.Config
	if _, err := r.Check([]string{"EventSourceArn", "FunctionName", "BatchSize", "MaximumBatchingWindowInSeconds", "StartingPosition",
		"FunctionResponseTypes", "BisectBatchOnFunctionError", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
		"DestinationConfig", "Enabled", "ParallelizationFactor", "TumblingWindowInSeconds"}, nil); err != nil {
		return cfg, nil, err
	}
	m, err := cfn.As[lambda.EventSourceMapping](r)
	if err != nil {
		return cfg, nil, err
	}
	f, ok := d.function(m.FunctionName)
	if !ok {
		return cfg, nil, fmt.Errorf("property FunctionName %s: no function of these stacks", m.FunctionName)
	}
	arn := deref2(m.EventSourceArn)
	name, ok := c.streams[arn]
	if !ok {
		return cfg, nil, fmt.Errorf("property EventSourceArn %s: not a Kinesis stream of these stacks (only Kinesis mappings are emulated)", arn)
	}
	if err := validateMapping(m); err != nil {
		return cfg, nil, err
	}
	if deref(m.TumblingWindowInSeconds, 0) > 0 {
		return cfg, nil, errors.New("property TumblingWindowInSeconds: tumbling windows are not emulated")
	}
	if deref2(m.StartingPosition) == "AT_TIMESTAMP" {
		return cfg, nil, errors.New("property StartingPosition AT_TIMESTAMP: not emulated (TRIM_HORIZON or LATEST)")
	}
	cfg = mappingConfig(m, arn, name, f.roleARN)
	if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
		dest := deref2(m.DestinationConfig.OnFailure.Destination)
		if !strings.HasPrefix(dest, "arn:aws:sqs:") {
			return cfg, nil, fmt.Errorf("property DestinationConfig.OnFailure.Destination %s: only SQS queues are emulated", dest)
		}
		cfg.OnFailure = func(_ context.Context, msg []byte) error { return c.sqs.Send(dest, string(msg)) }
	}
	return cfg, f, c.mappingRole(ps[f.name], f, arn, m)
}

// mappingConfig is a valid mapping's poller configuration, with
// CreateEventSourceMapping's defaults for a Kinesis stream.
func mappingConfig(m lambda.EventSourceMapping, arn, stream, role string) esm.Config {
	cfg := esm.Config{StreamARN: arn, StreamName: stream, Region: region, InvokeIdentityARN: role,
		Disabled: m.Enabled != nil && !*m.Enabled, ParallelizationFactor: deref(m.ParallelizationFactor, 1),
		BatchSize: deref(m.BatchSize, 100), BatchWindow: time.Duration(deref(m.MaximumBatchingWindowInSeconds, 0)) * time.Second,
		StartingPosition: deref2(m.StartingPosition), BisectBatchOnFunctionError: m.BisectBatchOnFunctionError != nil && *m.BisectBatchOnFunctionError,
		MaximumRetryAttempts: deref(m.MaximumRetryAttempts, -1), MaximumRecordAge: time.Duration(deref(m.MaximumRecordAgeInSeconds, -1)) * time.Second}
	for _, t := range m.FunctionResponseTypes {
		cfg.ReportBatchItemFailures = cfg.ReportBatchItemFailures || t == "ReportBatchItemFailures"
	}
	return cfg
}

// mappingRanges are CreateEventSourceMapping's modelled ranges for the
// parameters a Kinesis mapping takes (Lambda API reference,
// CreateEventSourceMapping: "Valid Range"), with the names its validation
// messages use.
var mappingRanges = []struct {
	member   string
	min, max int
	value    func(*lambda.EventSourceMapping) *int
}{
	{"batchSize", 1, 10000, func(m *lambda.EventSourceMapping) *int { return m.BatchSize }},
	{"maximumBatchingWindowInSeconds", 0, 300, func(m *lambda.EventSourceMapping) *int { return m.MaximumBatchingWindowInSeconds }},
	{"maximumRecordAgeInSeconds", -1, 604800, func(m *lambda.EventSourceMapping) *int { return m.MaximumRecordAgeInSeconds }},
	{"maximumRetryAttempts", -1, 10000, func(m *lambda.EventSourceMapping) *int { return m.MaximumRetryAttempts }},
	{"parallelizationFactor", 1, 10, func(m *lambda.EventSourceMapping) *int { return m.ParallelizationFactor }},
	{"tumblingWindowInSeconds", 0, 900, func(m *lambda.EventSourceMapping) *int { return m.TumblingWindowInSeconds }},
}

// validateMapping checks a Kinesis mapping as CreateEventSourceMapping
// does and fails with its answer: the modelled constraints first, every
// broken one in one ValidationException ("2 validation errors detected:
// Value '0' at 'batchSize' failed to satisfy constraint: …; Value …"), then
// Lambda's own rules (InvalidParameterValueException). The messages are
// those AWS answers, as recorded against AWS by LocalStack's
// test_create_event_source_validation and in Terraform's provider
// (hashicorp/terraform-provider-aws#16113) for the record age.
//
// Lambda's API reference also says a BatchSize above 10 needs a batching
// window of at least 1 s; Lambda enforces that for SQS only (the Kinesis
// default is 100 records with no window), so it is not checked here.
func validateMapping(m lambda.EventSourceMapping) error {
	var bad []string
	for _, r := range mappingRanges {
		switch v := r.value(&m); {
		case v != nil && *v < r.min:
			bad = append(bad, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, r.member, r.min))
		case v != nil && *v > r.max:
			bad = append(bad, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *v, r.member, r.max))
		}
	}
	if t := m.FunctionResponseTypes; len(t) > 1 || len(t) == 1 && t[0] != "ReportBatchItemFailures" {
		bad = append(bad, fmt.Sprintf("Value '[%s]' at 'functionResponseTypes' failed to satisfy constraint: "+
			"Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures], Member must not be null]", strings.Join(t, ", ")))
	}
	if p := deref2(m.StartingPosition); p != "" && p != "LATEST" && p != "AT_TIMESTAMP" && p != "TRIM_HORIZON" {
		bad = append(bad, fmt.Sprintf("Value '%s' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]", p))
	}
	switch {
	case len(bad) == 1:
		return errors.New("ValidationException: 1 validation error detected: " + bad[0])
	case len(bad) > 1:
		return fmt.Errorf("ValidationException: %d validation errors detected: %s", len(bad), strings.Join(bad, "; "))
	case m.StartingPosition == nil:
		return errors.New("InvalidParameterValueException: 1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.") //nolint:staticcheck // Lambda's own text ends with a period
	}
	if age := deref(m.MaximumRecordAgeInSeconds, -1); age >= 0 && age < 60 {
		return errors.New("InvalidParameterValueException: MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)")
	}
	return nil
}

// mappingRole checks, as Lambda's CreateEventSourceMapping does, that the
// function's role lets Lambda read the stream and send to the on-failure
// destination: the mapping uses the function's execution role for both.
// The checks count as uses in the permission report.
func (c *Cloud) mappingRole(p *frontdoor.Principal, f *function, stream string, m lambda.EventSourceMapping) error {
	need := []iam.Permission{}
	for _, op := range []string{"DescribeStream", "DescribeStreamSummary", "GetRecords", "GetShardIterator", "ListShards"} {
		need = append(need, iam.Permission{Action: "kinesis:" + op, Resource: stream})
	}
	if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
		need = append(need, iam.Permission{Action: "sqs:SendMessage", Resource: deref2(m.DestinationConfig.OnFailure.Destination)})
	}
	for _, perm := range need {
		dec := iam.Evaluate(p.Policies, perm.Action, perm.Resource)
		c.report.Record(f.name, perm, dec)
		if !dec.Allowed {
			service, op, _ := strings.Cut(perm.Action, ":")
			return fmt.Errorf("InvalidParameterValueException: The provided execution role does not have permissions to call %s on %s (%s on %s)",
				op, map[string]string{"kinesis": "Kinesis", "sqs": "SQS"}[service], p.Role, perm.Resource)
		}
	}
	return nil
}

func deref2(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
