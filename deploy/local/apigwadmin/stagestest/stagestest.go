// Package stagestest is the conformance suite every apigwadmin.Stages
// passes: the in-memory fake of apigwadmin's tests, and the local cloud's
// REST APIs. It drives the management API as osls does, with the AWS SDK
// for Go v2, and reads the results back through both the API and Stages.
package stagestest

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
)

// Fixture is what the Stages under test holds when a test starts: a REST
// API with a deployment, a stage on it with no method settings and no tags,
// and one of its methods.
type Fixture struct {
	API        apigwadmin.RestAPI
	Deployment string
	Stage      string
	// Resource and Method are a method of the API: "/movies/{id}", "GET".
	Resource, Method string
	// OneStage is set when the Stages serves the fixture's stage alone
	// (the local cloud's gateway serves one stage): CreateStage of any
	// other name is refused (400) rather than made.
	OneStage bool
}

// Account is the account the suite's Service answers for.
const Account = "000000000000"

// Run runs the suite; setup returns a Stages holding the fixture, fresh for
// each test.
func Run(t *testing.T, setup func(t *testing.T) (apigwadmin.Stages, Fixture)) {
	for _, c := range []struct {
		name string
		test func(*testing.T, *suite)
	}{
		{"GetRestApis finds the API by name, page by page", findAPI},
		{"GetDeployments and GetStage answer what is there", readStage},
		{"missing APIs and stages are NotFoundException in AWS's words", notFound},
		{"UpdateStage sets tracing, metrics and every method's throttling", updateAll},
		{"a method's own throttling overrides the stage's", updateOne},
		{"a refused UpdateStage changes nothing", refusedUpdate},
		{"CreateStage makes a stage once, on a deployment of the API", createStage},
		{"TagResource and UntagResource change the stage's tags", tags},
	} {
		t.Run(c.name, func(t *testing.T) {
			stages, fx := setup(t)
			srv := httptest.NewServer(apigwadmin.New(stages, "us-east-1", Account))
			t.Cleanup(srv.Close)
			api := apigateway.New(apigateway.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
				Retryer: aws.NopRetryer{}, Credentials: credentials.NewStaticCredentialsProvider("AKIALOCAL", "secret", "")})
			c.test(t, &suite{stages: stages, fx: fx, api: api, ctx: t.Context()})
		})
	}
}

type suite struct {
	stages apigwadmin.Stages
	fx     Fixture
	api    *apigateway.Client
	ctx    context.Context
}

func (s *suite) getStage(t *testing.T) *apigateway.GetStageOutput {
	t.Helper()
	out, err := s.api.GetStage(s.ctx, &apigateway.GetStageInput{RestApiId: &s.fx.API.ID, StageName: &s.fx.Stage})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (s *suite) update(ops ...types.PatchOperation) (*apigateway.UpdateStageOutput, error) {
	return s.api.UpdateStage(s.ctx, &apigateway.UpdateStageInput{RestApiId: &s.fx.API.ID, StageName: &s.fx.Stage, PatchOperations: ops})
}

func replace(path, value string) types.PatchOperation {
	return types.PatchOperation{Op: types.OpReplace, Path: aws.String(path), Value: aws.String(value)}
}

// findAPI pages with limit 1, as a caller with many APIs would, until the
// fixture's API turns up (osls's update-stage.js: GetRestApis with
// position and limit, by name).
func findAPI(t *testing.T, s *suite) {
	var position *string
	for range 1000 {
		out, err := s.api.GetRestApis(s.ctx, &apigateway.GetRestApisInput{Position: position, Limit: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Items {
			if aws.ToString(a.Name) == s.fx.API.Name {
				if aws.ToString(a.Id) != s.fx.API.ID {
					t.Errorf("API %s has id %s, want %s", s.fx.API.Name, aws.ToString(a.Id), s.fx.API.ID)
				}
				return
			}
		}
		if out.Position == nil {
			t.Fatalf("GetRestApis never listed %s", s.fx.API.Name)
		}
		position = out.Position
	}
	t.Fatal("GetRestApis pages without end")
}

func readStage(t *testing.T, s *suite) {
	d, err := s.api.GetDeployments(s.ctx, &apigateway.GetDeploymentsInput{RestApiId: &s.fx.API.ID, Limit: aws.Int32(500)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, item := range d.Items {
		found = found || aws.ToString(item.Id) == s.fx.Deployment
	}
	if !found {
		t.Errorf("GetDeployments lists %d deployments, not %s", len(d.Items), s.fx.Deployment)
	}
	st := s.getStage(t)
	if aws.ToString(st.StageName) != s.fx.Stage || aws.ToString(st.DeploymentId) != s.fx.Deployment {
		t.Errorf("GetStage: stage %q on %q", aws.ToString(st.StageName), aws.ToString(st.DeploymentId))
	}
	if st.MethodSettings == nil || len(st.MethodSettings) != 0 || st.CacheClusterEnabled || st.CacheClusterStatus != types.CacheClusterStatusNotAvailable {
		t.Errorf("GetStage of a fresh stage: method settings %v, cache %v %s", st.MethodSettings, st.CacheClusterEnabled, st.CacheClusterStatus)
	}
}

func notFound(t *testing.T, s *suite) {
	_, err := s.api.GetStage(s.ctx, &apigateway.GetStageInput{RestApiId: &s.fx.API.ID, StageName: aws.String("nostage")})
	awstest.WantAPIError(t, err, 404, "NotFoundException", "Invalid stage identifier specified")
	_, err = s.api.GetStage(s.ctx, &apigateway.GetStageInput{RestApiId: aws.String("noapi"), StageName: &s.fx.Stage})
	awstest.WantAPIError(t, err, 404, "NotFoundException", "Invalid API identifier specified "+Account+":noapi")
	_, err = s.api.GetDeployments(s.ctx, &apigateway.GetDeploymentsInput{RestApiId: aws.String("noapi")})
	awstest.WantAPIError(t, err, 404, "NotFoundException", "Invalid API identifier specified "+Account+":noapi")
	_, err = s.api.UpdateStage(s.ctx, &apigateway.UpdateStageInput{RestApiId: &s.fx.API.ID, StageName: aws.String("nostage"),
		PatchOperations: []types.PatchOperation{replace("/tracingEnabled", "true")}})
	awstest.WantAPIError(t, err, 404, "NotFoundException", "Invalid stage identifier specified")
}
