package stagestest

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
)

// setting reads the settings in force for the fixture's method from Stages.
func (s *suite) setting(t *testing.T, resource, method string) (apigwadmin.MethodSetting, bool) {
	t.Helper()
	st, err := s.stages.Stage(s.fx.API.ID, s.fx.Stage)
	if err != nil {
		t.Fatal(err)
	}
	return st.Setting(resource, method)
}

// updateAll makes the updates osls and the stage-throttling plugin make
// after a deploy; the answer, GetStage and Stages agree on them.
func updateAll(t *testing.T, s *suite) {
	out, err := s.update(replace("/tracingEnabled", "true"), replace("/*/*/metrics/enabled", "true"),
		replace("/*/*/throttling/rateLimit", "100"), replace("/*/*/throttling/burstLimit", "200"))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*apigateway.GetStageOutput{s.getStage(t), {TracingEnabled: out.TracingEnabled, MethodSettings: out.MethodSettings}} {
		all, ok := st.MethodSettings[apigwadmin.AllMethods]
		if !st.TracingEnabled || !ok || !all.MetricsEnabled || all.ThrottlingRateLimit != 100 || all.ThrottlingBurstLimit != 200 {
			t.Errorf("stage after update: tracing %v, */* %+v", st.TracingEnabled, all)
		}
		// What the update did not set keeps AWS's values for a new setting.
		if all.CachingEnabled || all.CacheTtlInSeconds != 300 || !all.RequireAuthorizationForCacheControl {
			t.Errorf("*/* caching %v, ttl %d, authorization %v", all.CachingEnabled, all.CacheTtlInSeconds, all.RequireAuthorizationForCacheControl)
		}
	}
	m, ok := s.setting(t, s.fx.Resource, s.fx.Method)
	if !ok || m.ThrottlingRateLimit != 100 || m.ThrottlingBurstLimit != 200 || !m.MetricsEnabled {
		t.Errorf("%s %s in force: %+v, %v", s.fx.Method, s.fx.Resource, m, ok)
	}
	// A rate alone leaves the burst at AWS's default for a new setting.
	if _, err := s.update(replace("/*/*/throttling/rateLimit", "7.5")); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.setting(t, s.fx.Resource, s.fx.Method); m.ThrottlingRateLimit != 7.5 || m.ThrottlingBurstLimit != 200 {
		t.Errorf("after a second update: %+v", m)
	}
}

// updateOne sets one method's rate: its setting starts from the stage's
// "*/*" one (AWS's recorded answer: the new "test/GET" copies "*/*"), and
// overrides it for that method only.
func updateOne(t *testing.T, s *suite) {
	if _, err := s.update(replace("/*/*/throttling/rateLimit", "100"), replace("/*/*/throttling/burstLimit", "200")); err != nil {
		t.Fatal(err)
	}
	path := "/" + strings.ReplaceAll(s.fx.Resource, "/", "~1") + "/" + s.fx.Method + "/throttling/rateLimit"
	out, err := s.update(replace(path, "5"))
	if err != nil {
		t.Fatal(err)
	}
	key := apigwadmin.MethodKey(s.fx.Resource, s.fx.Method)
	if m := out.MethodSettings[key]; m.ThrottlingRateLimit != 5 || m.ThrottlingBurstLimit != 200 {
		t.Errorf("UpdateStage %s: %s is %+v", path, key, m)
	}
	if m, _ := s.setting(t, s.fx.Resource, s.fx.Method); m.ThrottlingRateLimit != 5 {
		t.Errorf("%s %s in force: %+v", s.fx.Method, s.fx.Resource, m)
	}
	if m, _ := s.setting(t, "/another", "POST"); m.ThrottlingRateLimit != 100 {
		t.Errorf("another method in force: %+v", m)
	}
	// Changing "*/*" later leaves the method's own setting alone (AWS's
	// recorded "update-stage-override").
	if _, err := s.update(replace("/*/*/throttling/rateLimit", "50")); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.setting(t, s.fx.Resource, s.fx.Method); m.ThrottlingRateLimit != 5 {
		t.Errorf("after */* changed, %s %s in force: %+v", s.fx.Method, s.fx.Resource, m)
	}
}

// refusedUpdate sends a good operation then a bad one: nothing is applied.
func refusedUpdate(t *testing.T, s *suite) {
	_, err := s.update(replace("/*/*/throttling/rateLimit", "100"), replace("/tags/tag1", "v"))
	awstest.WantAPIError(t, err, 400, "BadRequestException", "Invalid method setting path: /tags/tag1. Must be one of: [/deploymentId,")
	_, err = s.update(replace("/tracingEnabled", "true"), replace("/*/*/throttling/burstLimit", "1.5"))
	awstest.WantAPIError(t, err, 400, "BadRequestException", "Invalid burst limit")
	_, err = s.update(replace("/tracingEnabled", "true"), replace("/*/*/caching/enabled", "true"))
	awstest.WantAPIError(t, err, 400, "BadRequestException", "The local cloud does not emulate UpdateStage's method setting caching/enabled")
	_, err = s.update(types.PatchOperation{Op: types.OpAdd, Path: aws.String("/tracingEnabled"), Value: aws.String("true")})
	awstest.WantAPIError(t, err, 400, "BadRequestException", "Invalid patch operation specified. Must be one of: [replace]")
	st := s.getStage(t)
	if st.TracingEnabled || len(st.MethodSettings) != 0 {
		t.Errorf("refused updates changed the stage: tracing %v, %v", st.TracingEnabled, st.MethodSettings)
	}
}

func createStage(t *testing.T, s *suite) {
	in := &apigateway.CreateStageInput{RestApiId: &s.fx.API.ID, StageName: aws.String("suite"),
		DeploymentId: &s.fx.Deployment, TracingEnabled: true, Tags: map[string]string{"project": "moviepipe"}}
	if s.fx.OneStage {
		_, err := s.api.CreateStage(s.ctx, in)
		awstest.WantAPIError(t, err, 400, "BadRequestException", "The local cloud refused the change")
		if _, err := s.stages.Stage(s.fx.API.ID, "suite"); !errors.Is(err, apigwadmin.ErrNotFound) {
			t.Errorf("a refused CreateStage left a stage: %v", err)
		}
		in.StageName = &s.fx.Stage
	} else {
		out, err := s.api.CreateStage(s.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.StageName) != "suite" || !out.TracingEnabled || out.Tags["project"] != "moviepipe" {
			t.Errorf("CreateStage answered %+v", out)
		}
		got, err := s.stages.Stage(s.fx.API.ID, "suite")
		if err != nil || got.DeploymentID != s.fx.Deployment || !got.TracingEnabled {
			t.Errorf("Stages holds %+v, %v", got, err)
		}
	}
	_, err := s.api.CreateStage(s.ctx, in)
	awstest.WantAPIError(t, err, 409, "ConflictException", "Stage already exists")
	in.StageName, in.DeploymentId = aws.String("other"), aws.String("nodeployment")
	_, err = s.api.CreateStage(s.ctx, in)
	awstest.WantAPIError(t, err, 400, "BadRequestException", "Deployment id does not exist")
}

// tags tags the stage by its ARN, as osls's update-stage.js does with the
// service's stackTags, and untags it.
func tags(t *testing.T, s *suite) {
	arn := "arn:aws:apigateway:us-east-1::/restapis/" + s.fx.API.ID + "/stages/" + s.fx.Stage
	if _, err := s.api.TagResource(s.ctx, &apigateway.TagResourceInput{ResourceArn: &arn,
		Tags: map[string]string{"project": "moviepipe", "stage": "local", "old": "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.api.UntagResource(s.ctx, &apigateway.UntagResourceInput{ResourceArn: &arn, TagKeys: []string{"old"}}); err != nil {
		t.Fatal(err)
	}
	st := s.getStage(t)
	if len(st.Tags) != 2 || st.Tags["project"] != "moviepipe" || st.Tags["stage"] != "local" {
		t.Errorf("tags %v", st.Tags)
	}
	_, err := s.api.TagResource(s.ctx, &apigateway.TagResourceInput{ResourceArn: aws.String("arn:aws:s3:::bucket"), Tags: map[string]string{"a": "b"}})
	awstest.WantAPIError(t, err, 400, "BadRequestException", "Invalid ARN specified in the request")
	missing := "arn:aws:apigateway:us-east-1::/restapis/" + s.fx.API.ID + "/stages/nostage"
	_, err = s.api.TagResource(s.ctx, &apigateway.TagResourceInput{ResourceArn: &missing, Tags: map[string]string{"a": "b"}})
	awstest.WantAPIError(t, err, 404, "NotFoundException", "Invalid stage identifier specified")
}
