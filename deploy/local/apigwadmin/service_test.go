package apigwadmin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

func adminClient(t *testing.T, h http.Handler, secret string) *apigateway.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return apigateway.New(apigateway.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIALOCAL", secret, "")})
}

// Every operation but those osls needs is refused, naming the operation:
// never an answer as if it were done.
func TestOtherOperationsRefused(t *testing.T) {
	stages, fx := newFake(t)
	api := adminClient(t, apigwadmin.New(stages, "us-east-1", "000000000000"), "secret")
	_, err := api.GetUsagePlans(t.Context(), &apigateway.GetUsagePlansInput{})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException", "GetUsagePlans (GET /usageplans) is not an operation the local API Gateway emulates")
	_, err = api.DeleteStage(t.Context(), &apigateway.DeleteStageInput{RestApiId: &fx.API.ID, StageName: &fx.Stage})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException", "DeleteStage (DELETE /restapis/{restApiId}/stages/{stageName})")
	if _, err := stages.Stage(fx.API.ID, fx.Stage); err != nil {
		t.Errorf("a refused DeleteStage deleted the stage: %v", err)
	}
	_, err = api.GetRestApis(t.Context(), &apigateway.GetRestApisInput{Limit: aws.Int32(501)})
	awstest.WantAPIError(t, err, 400, "BadRequestException", `Invalid limit "501"`)
	_, err = api.CreateStage(t.Context(), &apigateway.CreateStageInput{RestApiId: &fx.API.ID, StageName: aws.String("c"),
		DeploymentId: &fx.Deployment, CacheClusterEnabled: true})
	awstest.WantAPIError(t, err, 400, "BadRequestException", "The local cloud does not emulate a stage's cache cluster")

	res, err := http.Get(httptestURL(t, apigwadmin.New(stages, "us-east-1", "000000000000")) + "/nothing/here")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("X-Amzn-Errortype") != "UnknownOperationException" {
		t.Errorf("an unknown route: %d %s", res.StatusCode, res.Header.Get("X-Amzn-Errortype"))
	}
}

func httptestURL(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// A request is verified before it is answered; a refusal is 403 with
// the control plane's error types.
func TestSignatureVerified(t *testing.T) {
	stages, _ := newFake(t)
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(k string) (sigv4.Identity, bool) {
		return sigv4.Identity{AccessKeyID: k, SecretAccessKey: "secret"}, k == "AKIALOCAL"
	}}
	admin := apigwadmin.New(stages, "us-east-1", "000000000000")
	admin.Verify = func(r *http.Request, body []byte) *sigv4.Failure { _, f := v.Verify(r, body, "apigateway"); return f }
	if _, err := adminClient(t, admin, "secret").GetRestApis(t.Context(), &apigateway.GetRestApisInput{}); err != nil {
		t.Fatal(err)
	}
	_, err := adminClient(t, admin, "wrong").GetRestApis(t.Context(), &apigateway.GetRestApisInput{})
	awstest.WantAPIError(t, err, 403, "InvalidSignatureException", "The request signature we calculated does not match")
}

// GetStage's answer on the wire: the fields AWS always sends, dates in
// epoch seconds (LocalStack's AWS-recorded snapshots of GetStage).
func TestStageOnTheWire(t *testing.T) {
	stages, fx := newFake(t)
	admin := apigwadmin.New(stages, "us-east-1", "000000000000")
	url := httptestURL(t, admin) + "/restapis/" + fx.API.ID + "/stages/" + fx.Stage
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	want := map[string]any{"stageName": "local", "deploymentId": fx.Deployment, "cacheClusterEnabled": false,
		"cacheClusterStatus": "NOT_AVAILABLE", "methodSettings": map[string]any{}, "tracingEnabled": false,
		"createdDate": float64(fx.API.Created.Unix()), "lastUpdatedDate": float64(fx.API.Created.Unix())}
	for k, v := range want {
		if b, _ := json.Marshal(got[k]); string(b) != mustJSON(v) {
			t.Errorf("%s = %s, want %s", k, b, mustJSON(v))
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
