package cloud_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cft "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// cfnClient is the Go SDK's CloudFormation client on the cloud's endpoint,
// signing as the operator.
func cfnClient(c *cloud.Cloud) *cf.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(c.State.Credentials.AccessKeyID, c.State.Credentials.SecretAccessKey, "")}
	return cf.NewFromConfig(cfg, func(o *cf.Options) { o.BaseEndpoint = aws.String(c.State.Endpoints["cloudformation"]) })
}

// template returns a stack's template as deployed, decoded, for an edit.
func template(t *testing.T, cl *cf.Client, stack string) map[string]any {
	t.Helper()
	out, err := cl.GetTemplate(t.Context(), &cf.GetTemplateInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	var tpl map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(out.TemplateBody)), &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// update updates a stack to tpl and returns its status and, when it failed,
// the failed resource's reason.
func update(t *testing.T, cl *cf.Client, stack string, tpl map[string]any) (cft.StackStatus, string) {
	t.Helper()
	body, _ := json.Marshal(tpl)
	if _, err := cl.UpdateStack(t.Context(), &cf.UpdateStackInput{StackName: aws.String(stack), TemplateBody: aws.String(string(body)),
		Capabilities: []cft.Capability{cft.CapabilityCapabilityIam, cft.CapabilityCapabilityNamedIam}}); err != nil {
		t.Fatal(err)
	}
	return outcome(t, cl, stack)
}

func outcome(t *testing.T, cl *cf.Client, stack string) (cft.StackStatus, string) {
	t.Helper()
	st, err := cl.DescribeStacks(t.Context(), &cf.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := cl.DescribeStackEvents(t.Context(), &cf.DescribeStackEventsInput{StackName: aws.String(stack)})
	if err != nil {
		t.Fatal(err)
	}
	reason := ""
	for _, e := range ev.StackEvents { // newest first
		if strings.HasSuffix(string(e.ResourceStatus), "_FAILED") {
			reason = aws.ToString(e.LogicalResourceId) + ": " + aws.ToString(e.ResourceStatusReason)
			break
		}
	}
	return st.Stacks[0].StackStatus, reason
}

func resources(tpl map[string]any) map[string]any { return tpl["Resources"].(map[string]any) }

func props(tpl map[string]any, typ string) map[string]any {
	for _, r := range resources(tpl) {
		if r.(map[string]any)["Type"] == typ {
			return r.(map[string]any)["Properties"].(map[string]any)
		}
	}
	return nil
}

// The local cloud is CloudFormation's Deployer: a stack updated through the
// CloudFormation API replaces the function it changes (and only it), keeps
// its stage's throttling, and refuses, with CloudFormation's words and a
// rollback, a StageDescription for the existing stage, an in-place change
// of a table, and the deletion of an export in use; a deleted stack's
// routes and function are gone.
func TestStacksUpdatedAndDeletedThroughCloudFormation(t *testing.T) {
	r := up(t, cloud.Options{})
	cl := cfnClient(r.c)
	stacks, err := cl.DescribeStacks(t.Context(), &cf.DescribeStacksInput{})
	if err != nil || len(stacks.Stacks) != 4 {
		t.Fatalf("%v %v", err, stacks)
	}
	hosts := slices.Clone(r.c.Hosts())
	api := r.c.State.API

	// A changed function: a new host for query-api, the others kept.
	tpl := template(t, cl, "moviepipe-query-api-local")
	env := props(tpl, "AWS::Lambda::Function")["Environment"].(map[string]any)["Variables"].(map[string]any)
	env["EXTRA"] = "1"
	if st, why := update(t, cl, "moviepipe-query-api-local", tpl); st != cft.StackStatusUpdateComplete {
		t.Fatalf("%s: %s", st, why)
	}
	after := r.c.Hosts()
	changed := 0
	for i := range hosts {
		if hosts[i] != after[i] {
			changed++
		}
	}
	if changed != 1 || len(after) != len(hosts) {
		t.Errorf("%d of %d hosts replaced, want 1", changed, len(hosts))
	}
	if code, body := request(t, "GET", api+"/movies/tt0000001", "", nil); code != http.StatusNotFound {
		t.Errorf("GET after the update: %d %s", code, body)
	}

	// osls's next Deployment with a StageDescription: refused, rolled back.
	tpl = template(t, cl, "moviepipe-query-api-local")
	for id, res := range resources(tpl) {
		if m := res.(map[string]any); m["Type"] == "AWS::ApiGateway::Deployment" {
			delete(resources(tpl), id)
			m["Properties"].(map[string]any)["StageDescription"] = map[string]any{"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 20}
			resources(tpl)[id+"Next"] = m
		}
	}
	st, why := update(t, cl, "moviepipe-query-api-local", tpl)
	if st != cft.StackStatusUpdateRollbackComplete || !strings.Contains(why, "StageDescription cannot be specified when stage referenced by StageName already exists") {
		t.Errorf("StageDescription for the existing stage: %s, %q", st, why)
	}

	// A table changed in place: refused loudly, rolled back.
	tpl = template(t, cl, "moviepipe-resources-local")
	movies := resources(tpl)["MoviesTable"].(map[string]any)["Properties"].(map[string]any)
	movies["BillingMode"] = "PROVISIONED"
	if st, why := update(t, cl, "moviepipe-resources-local", tpl); st != cft.StackStatusUpdateRollbackComplete || !strings.Contains(why, "in place is not emulated") {
		t.Errorf("a changed table: %s, %q", st, why)
	}

	// The shared stack's exports are in use: its deletion fails.
	if _, err := cl.DeleteStack(t.Context(), &cf.DeleteStackInput{StackName: aws.String("moviepipe-resources-local")}); err != nil {
		t.Fatal(err)
	}
	if st, _ := outcome(t, cl, "moviepipe-resources-local"); st != cft.StackStatusDeleteFailed {
		t.Errorf("deleting the shared stack while imported: %s", st)
	}

	// query-api deleted: its routes and function are gone.
	if _, err := cl.DeleteStack(t.Context(), &cf.DeleteStackInput{StackName: aws.String("moviepipe-query-api-local")}); err != nil {
		t.Fatal(err)
	}
	if code, _ := request(t, "GET", api+"/movies/tt0000001", "", nil); code != http.StatusForbidden {
		t.Errorf("GET after the delete: %d, want 403 Missing Authentication Token", code)
	}
	if len(r.c.Hosts()) != len(hosts)-1 {
		t.Errorf("%d hosts after the delete", len(r.c.Hosts()))
	}
	// The rest still runs: a scrape is stored.
	if code, rep := r.scrape(`{"maxPages":1}`); code != http.StatusOK || rep.RecordsPublished == 0 {
		t.Errorf("scrape after the updates: %d %+v", code, rep)
	}
	if n := r.settle(time.Minute); n == 0 {
		t.Error("nothing stored after the updates")
	}
}
