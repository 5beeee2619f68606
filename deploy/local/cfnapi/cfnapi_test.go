package cfnapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/cfnapi"
)

// fakeDeployer resolves templates as the cloud does and records what it
// made; a queue named "fail" cannot be made.
type fakeDeployer struct {
	mu      sync.Mutex
	made    map[string]bool // stack/logical id
	deleted []string
}

func (f *fakeDeployer) Deploy(_ context.Context, d cfnapi.Deployment) (*cfn.Stack, error) {
	var made []*cfn.Resource
	s, err := cfn.Resolve(d.Template, cfn.Env{StackName: d.StackName, Region: "us-east-1", Account: "000000000000",
		Parameters: d.Parameters, Imports: d.Imports, Create: func(r *cfn.Resource) error {
			d.Event(r, "CREATE_IN_PROGRESS", "")
			if r.Properties["QueueName"] == "fail" {
				return &cfnapi.ResourceError{LogicalID: r.ID, Type: r.Type, Reason: "Resource handler returned message: \"queue fail refused\""}
			}
			made = append(made, r)
			d.Event(r, "CREATE_COMPLETE", "")
			return nil
		}})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.made == nil {
		f.made = map[string]bool{}
	}
	if err != nil {
		var re *cfnapi.ResourceError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, err
	}
	for _, r := range made {
		f.made[d.StackName+"/"+r.ID] = true
	}
	return s, nil
}

func (f *fakeDeployer) Delete(_ context.Context, s *cfn.Stack, event func(*cfn.Resource, string, string)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range s.Resources {
		delete(f.made, s.Name+"/"+r.ID)
		f.deleted = append(f.deleted, s.Name+"/"+r.ID)
		event(r, "DELETE_COMPLETE", "")
	}
	return nil
}

func service(t *testing.T) (*cloudformation.Client, *fakeDeployer) {
	t.Helper()
	d := &fakeDeployer{}
	srv := httptest.NewServer(&cfnapi.Service{Region: "us-east-1", Account: "000000000000", Deployer: d})
	t.Cleanup(srv.Close)
	return cloudformation.New(cloudformation.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIA", "s", "")}), d
}

const shared = `{"Parameters": {"Shards": {"Type": "Number", "Default": 1}},
 "Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "failures"}},
   "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "movies", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}},
 "Outputs": {"QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}, "Export": {"Name": "shared-QueueArn"}},
   "TableName": {"Value": {"Ref": "Table"}, "Export": {"Name": "shared-TableName"}}}}`

const user = `{"Resources": {"Alarm": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Join": ["-", [{"Fn::ImportValue": "shared-TableName"}, "dlq"]]}}}}}`

// createWithChangeSet makes a stack as osls does: a CREATE change set,
// waited for, then executed.
func createWithChangeSet(t *testing.T, c *cloudformation.Client, name, body string, params ...types.Parameter) *cloudformation.DescribeChangeSetOutput {
	t.Helper()
	ctx := t.Context()
	_, err := c.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: &name, ChangeSetName: aws.String(name + "-change-set"),
		ChangeSetType: types.ChangeSetTypeCreate, TemplateBody: &body, Parameters: params,
		Capabilities: []types.Capability{types.CapabilityCapabilityIam, types.CapabilityCapabilityNamedIam}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.DescribeChangeSet(ctx, &cloudformation.DescribeChangeSetInput{StackName: &name, ChangeSetName: aws.String(name + "-change-set")})
	if err != nil {
		t.Fatal(err)
	}
	if cs.Status == types.ChangeSetStatusCreateComplete {
		if _, err := c.ExecuteChangeSet(ctx, &cloudformation.ExecuteChangeSetInput{StackName: &name, ChangeSetName: cs.ChangeSetName}); err != nil {
			t.Fatal(err)
		}
	}
	return cs
}

func stackOf(t *testing.T, c *cloudformation.Client, name string) types.Stack {
	t.Helper()
	out, err := c.DescribeStacks(t.Context(), &cloudformation.DescribeStacksInput{StackName: &name})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe %s: %v", name, err)
	}
	return out.Stacks[0]
}

// A stack made from a change set, with the AWS SDK's own client: the change
// set lists the resources to add, the stack ends CREATE_COMPLETE with its
// outputs and exports, and its events run from the stack's
// CREATE_IN_PROGRESS to its CREATE_COMPLETE, newest first.
func TestCreateFromChangeSet(t *testing.T) {
	c, d := service(t)
	cs := createWithChangeSet(t, c, "shared", shared)
	if len(cs.Changes) != 2 || cs.Changes[0].ResourceChange.Action != types.ChangeActionAdd {
		t.Fatalf("changes %+v", cs.Changes)
	}
	st := stackOf(t, c, "shared")
	if st.StackStatus != types.StackStatusCreateComplete || len(st.Outputs) != 2 || aws.ToString(st.Outputs[0].ExportName) != "shared-QueueArn" ||
		aws.ToString(st.Outputs[0].OutputValue) != "arn:aws:sqs:us-east-1:000000000000:failures" {
		t.Fatalf("stack %s %+v", st.StackStatus, st.Outputs)
	}
	ev, err := c.DescribeStackEvents(t.Context(), &cloudformation.DescribeStackEventsInput{StackName: st.StackId})
	if err != nil {
		t.Fatal(err)
	}
	first, last := ev.StackEvents[len(ev.StackEvents)-1], ev.StackEvents[0]
	if len(ev.StackEvents) != 7 || last.ResourceStatus != types.ResourceStatusCreateComplete || aws.ToString(last.LogicalResourceId) != "shared" ||
		first.ResourceStatus != types.ResourceStatus("REVIEW_IN_PROGRESS") {
		t.Fatalf("%d events, newest %+v, oldest %+v", len(ev.StackEvents), last, first)
	}
	ex, _ := c.ListExports(t.Context(), &cloudformation.ListExportsInput{})
	if len(ex.Exports) != 2 || !d.made["shared/Queue"] {
		t.Fatalf("exports %+v, made %v", ex.Exports, d.made)
	}
	res, err := c.DescribeStackResource(t.Context(), &cloudformation.DescribeStackResourceInput{StackName: aws.String("shared"), LogicalResourceId: aws.String("Table")})
	if err != nil || aws.ToString(res.StackResourceDetail.PhysicalResourceId) != "movies" {
		t.Fatalf("resource %+v, %v", res, err)
	}
}

func apiCode(err error) (code, message string) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode(), ae.ErrorMessage()
	}
	return "", ""
}

// CloudFormation's checks before a stack operation starts, answered with its
// own codes and words.
func TestRefusedBeforeStarting(t *testing.T) {
	c, _ := service(t)
	ctx := t.Context()
	for name, tc := range map[string]struct {
		body, code, message string
		params              []types.Parameter
		caps                []types.Capability
	}{
		"a parameter the template does not declare": {user, "ValidationError", "Parameters: [StreamShards] do not exist in the template",
			[]types.Parameter{{ParameterKey: aws.String("StreamShards"), ParameterValue: aws.String("0")}}, nil},
		"a parameter without a value": {`{"Parameters": {"P": {"Type": "String"}}, "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}}`,
			"ValidationError", "Parameters: [P] must have values", nil, nil},
		"an unknown type": {`{"Resources": {"X": {"Type": "AWS::Nope::Thing", "Properties": {}}}}`, "ValidationError",
			"Template format error: Unrecognized resource types: [AWS::Nope::Thing]", nil, nil},
		"a named role without the capability": {`{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r", "AssumeRolePolicyDocument": {}}}}}`,
			"InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]", nil, []types.Capability{types.CapabilityCapabilityIam}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateChangeSet(ctx, &cloudformation.CreateChangeSetInput{StackName: aws.String("s"), ChangeSetName: aws.String("cs"),
				ChangeSetType: types.ChangeSetTypeCreate, TemplateBody: aws.String(tc.body), Parameters: tc.params, Capabilities: tc.caps})
			if code, msg := apiCode(err); code != tc.code || msg != tc.message {
				t.Fatalf("got %q %q", code, msg)
			}
		})
	}
	if _, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("nope")}); !strings.Contains(err.Error(), "Stack with id nope does not exist") {
		t.Fatalf("describe a missing stack: %v", err)
	}
}

// A change set that changes nothing, and one importing an export no stack
// has, fail as CloudFormation's do (osls reads the first reason to skip a
// deploy, and reports the second).
func TestFailedChangeSets(t *testing.T) {
	c, _ := service(t)
	if cs := createWithChangeSet(t, c, "user", user); cs.Status != types.ChangeSetStatusFailed || aws.ToString(cs.StatusReason) != "No export named shared-TableName found." {
		t.Fatalf("import of a missing export: %s %q", cs.Status, aws.ToString(cs.StatusReason))
	}
	createWithChangeSet(t, c, "shared", shared)
	_, err := c.CreateChangeSet(t.Context(), &cloudformation.CreateChangeSetInput{StackName: aws.String("shared"), ChangeSetName: aws.String("again"),
		ChangeSetType: types.ChangeSetTypeUpdate, TemplateBody: aws.String(shared), Capabilities: []types.Capability{types.CapabilityCapabilityNamedIam}})
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := c.DescribeChangeSet(t.Context(), &cloudformation.DescribeChangeSetInput{StackName: aws.String("shared"), ChangeSetName: aws.String("again")})
	if cs.Status != types.ChangeSetStatusFailed || !strings.Contains(aws.ToString(cs.StatusReason), "didn't contain changes") {
		t.Fatalf("unchanged: %s %q", cs.Status, aws.ToString(cs.StatusReason))
	}
}

// Failures during an operation roll the stack back with CloudFormation's
// reasons: a resource the deployer cannot make, the replacement of a
// custom-named resource, and the deletion of an export another stack
// imports.
func TestRollbacks(t *testing.T) {
	c, d := service(t)
	ctx := t.Context()
	createWithChangeSet(t, c, "broken", `{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "fail"}}}}`)
	broken, _ := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String("broken")})
	if st := stackOf(t, c, "broken"); st.StackStatus != types.StackStatusRollbackComplete ||
		!hasEvent(broken.StackEvents, "Q", `Resource handler returned message: "queue fail refused"`) ||
		!hasEvent(broken.StackEvents, "broken", "The following resource(s) failed to create: [Q]. Rollback requested by user.") {
		t.Fatalf("failed creation: %s", st.StackStatus)
	}
	createWithChangeSet(t, c, "shared", shared)
	createWithChangeSet(t, c, "user", user)
	renamed := strings.Replace(shared, `"TableName": "movies"`, `"TableName": "films"`, 1)
	if _, err := c.UpdateStack(ctx, &cloudformation.UpdateStackInput{StackName: aws.String("shared"), TemplateBody: &renamed,
		Capabilities: []types.Capability{types.CapabilityCapabilityNamedIam}}); err != nil {
		t.Fatal(err)
	}
	ev, _ := c.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String("shared")})
	if st := stackOf(t, c, "shared"); st.StackStatus != types.StackStatusUpdateRollbackComplete || !hasEvent(ev.StackEvents, "Table",
		"CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename movies and update the stack again.") {
		t.Fatalf("replacing a named table: %s", st.StackStatus)
	}
	if _, err := c.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("shared")}); err != nil {
		t.Fatal(err)
	}
	if st := stackOf(t, c, "shared"); st.StackStatus != types.StackStatusDeleteFailed ||
		aws.ToString(st.StackStatusReason) != "Export shared-TableName cannot be deleted as it is in use by user" || !d.made["shared/Table"] {
		t.Fatalf("deleting an imported export: %s %q", st.StackStatus, aws.ToString(st.StackStatusReason))
	}
	for _, name := range []string{"user", "shared"} {
		if _, err := c.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("shared")}); err == nil || len(d.made) != 0 {
		t.Fatalf("after deletion: %v, still made %v", err, d.made)
	}
}

func hasEvent(evs []types.StackEvent, id, reason string) bool {
	for _, e := range evs {
		if aws.ToString(e.LogicalResourceId) == id && aws.ToString(e.ResourceStatusReason) == reason {
			return true
		}
	}
	return false
}
