package lambda_test

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// functions is a fixed set of functions.
type functions map[string]lambda.Function

func (f functions) Function(name string) (lambda.Function, bool) { fn, ok := f[name]; return fn, ok }

var (
	modified = time.Date(2026, 12, 2, 10, 11, 12, 345e6, time.UTC)
	reserved = 3
	scraper  = lambda.Function{Name: "moviepipe-scraper-local", ARN: "arn:aws:lambda:us-east-1:000000000000:function:moviepipe-scraper-local",
		Runtime: "provided.al2023", Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/moviepipe-scraper-local-us-east-1-lambdaRole",
		MemoryMB: 256, Timeout: 900 * time.Second, Env: map[string]string{"SCRAPE_RATE": "50"}, Architectures: []string{"arm64"},
		LastModified: modified, CodeSha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", CodeSize: 7340032,
		TracingMode: "Active", Tags: map[string]string{"project": "moviepipe"}, Reserved: &reserved,
		Logging: lambda.Logging{Format: "JSON", ApplicationLevel: "DEBUG"}}
)

// controlAPI serves the Invoke API with the control plane of fns beside it,
// verifying signatures against the key AKIAOPERATOROPERATOR/secret.
func controlAPI(t *testing.T, fns lambda.Functions) string {
	t.Helper()
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(k string) (sigv4.Identity, bool) {
		return sigv4.Identity{AccessKeyID: k, SecretAccessKey: "secret"}, k == "AKIAOPERATOROPERATOR"
	}}
	svc := lambda.NewService(nil, nil)
	t.Cleanup(svc.Close)
	svc.Verify = func(r *http.Request, body []byte) *sigv4.Failure { _, f := v.Verify(r, body, "lambda"); return f }
	if fns != nil {
		svc.Control = lambda.NewControl(fns, "us-east-1", "000000000000")
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return srv.URL
}

func lambdaClient(url, secret string) *awslambda.Client {
	return awslambda.New(awslambda.Options{BaseEndpoint: aws.String(url), Region: "us-east-1", Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIAOPERATOROPERATOR", secret, "")})
}

// GetFunction describes the function by its name, ARN or partial ARN, as
// the API Reference's FunctionConfiguration: LastModified in Lambda's
// format, a zip function, active, $LATEST, its LoggingConfig with Lambda's
// defaults filled in.
func TestGetFunction(t *testing.T) {
	client := lambdaClient(controlAPI(t, functions{scraper.Name: scraper}), "secret")
	for _, name := range []string{scraper.Name, scraper.ARN, "000000000000:function:" + scraper.Name, scraper.Name + ":$LATEST"} {
		out, err := client.GetFunction(t.Context(), &awslambda.GetFunctionInput{FunctionName: aws.String(name)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := out.Configuration
		if aws.ToString(c.LastModified) != "2026-12-02T10:11:12.345+0000" || aws.ToString(c.FunctionArn) != scraper.ARN ||
			c.Runtime != types.RuntimeProvidedal2023 || aws.ToString(c.Handler) != "bootstrap" || aws.ToInt32(c.Timeout) != 900 ||
			aws.ToInt32(c.MemorySize) != 256 || c.CodeSize != 7340032 || aws.ToString(c.CodeSha256) != scraper.CodeSha256 ||
			c.State != types.StateActive || c.LastUpdateStatus != types.LastUpdateStatusSuccessful || c.PackageType != types.PackageTypeZip ||
			aws.ToString(c.Version) != "$LATEST" || c.TracingConfig.Mode != types.TracingModeActive ||
			c.Environment.Variables["SCRAPE_RATE"] != "50" || len(c.Architectures) != 1 || c.Architectures[0] != types.ArchitectureArm64 ||
			c.LoggingConfig.LogFormat != types.LogFormatJson || c.LoggingConfig.ApplicationLogLevel != types.ApplicationLogLevelDebug ||
			c.LoggingConfig.SystemLogLevel != types.SystemLogLevelInfo || aws.ToString(c.LoggingConfig.LogGroup) != "/aws/lambda/"+scraper.Name {
			t.Errorf("%s: configuration %+v", name, c)
		}
		if aws.ToString(out.Code.RepositoryType) != "S3" || out.Tags["project"] != "moviepipe" || aws.ToInt32(out.Concurrency.ReservedConcurrentExecutions) != 3 {
			t.Errorf("%s: code %+v, tags %v, concurrency %+v", name, out.Code, out.Tags, out.Concurrency)
		}
	}
	conf, err := client.GetFunctionConfiguration(t.Context(), &awslambda.GetFunctionConfigurationInput{FunctionName: aws.String(scraper.Name)})
	if err != nil || aws.ToString(conf.RevisionId) == "" || aws.ToString(conf.LastModified) != "2026-12-02T10:11:12.345+0000" {
		t.Errorf("GetFunctionConfiguration: %+v, %v", conf, err)
	}
}

// A function that is not there, or a version that was never published, is
// 404 ResourceNotFoundException naming its ARN, as Lambda answers.
func TestGetFunctionNotFound(t *testing.T) {
	client := lambdaClient(controlAPI(t, functions{scraper.Name: scraper}), "secret")
	for name, arn := range map[string]string{
		"nope":              "arn:aws:lambda:us-east-1:000000000000:function:nope",
		scraper.Name + ":1": scraper.ARN + ":1",
		"arn:aws:lambda:eu-west-1:000000000000:function:x": "arn:aws:lambda:eu-west-1:000000000000:function:x",
	} {
		_, err := client.GetFunction(t.Context(), &awslambda.GetFunctionInput{FunctionName: aws.String(name)})
		awstest.WantAPIError(t, err, 404, "ResourceNotFoundException", "Function not found: "+arn)
	}
}

// The other operations are refused by name; without a control plane every
// one is; a signature is verified first.
func TestControlRefusals(t *testing.T) {
	url := controlAPI(t, functions{scraper.Name: scraper})
	_, err := lambdaClient(url, "secret").UpdateFunctionCode(t.Context(), &awslambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(scraper.Name), ZipFile: []byte("zip")})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException",
		"UpdateFunctionCode (PUT /2015-03-31/functions/{FunctionName}/code) is not an operation the local Lambda emulates")
	_, err = lambdaClient(url, "secret").ListFunctions(t.Context(), &awslambda.ListFunctionsInput{})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException", "ListFunctions (GET /2015-03-31/functions)")
	_, err = lambdaClient(url, "wrong").GetFunction(t.Context(), &awslambda.GetFunctionInput{FunctionName: aws.String(scraper.Name)})
	awstest.WantAPIError(t, err, 403, "InvalidSignatureException", "The request signature we calculated does not match")

	_, err = lambdaClient(controlAPI(t, nil), "secret").GetFunction(t.Context(), &awslambda.GetFunctionInput{FunctionName: aws.String(scraper.Name)})
	awstest.WantAPIError(t, err, 400, "UnknownOperationException", "GET /2015-03-31/functions/moviepipe-scraper-local: the local Lambda serves Invoke only here")
}

// osls's check-for-changes reads Configuration.LastModified of every
// function (GetFunction, by the function's deployed name) and takes the
// earliest; a function it cannot read counts as never deployed (epoch 0)
// (osls lib/plugins/aws/deploy/lib/check-for-changes.js,
// getFunctionsEarliestLastModifiedDate).
func TestOslsReadsLastModified(t *testing.T) {
	dir := awstest.OslsDir(t)
	url := controlAPI(t, functions{scraper.Name: scraper})
	script := filepath.Join("testdata", "osls_last_modified.js")
	var got struct{ Earliest string }
	awstest.Node(t, []string{"AWS_ENDPOINT_URL_LAMBDA=" + url}, &got, script, dir, scraper.Name)
	if got.Earliest != "2026-12-02T10:11:12.345Z" {
		t.Errorf("osls read LastModified %q", got.Earliest)
	}
	awstest.Node(t, []string{"AWS_ENDPOINT_URL_LAMBDA=" + url}, &got, script, dir, scraper.Name, "moviepipe-query-api-local")
	if got.Earliest != "1970-01-01T00:00:00.000Z" {
		t.Errorf("with a function not deployed, osls read %q", got.Earliest)
	}
}
