package cloud

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/cfnapi"
	"github.com/moviepipe/moviepipe/deploy/local/ecrlocal"
	lambdahost "github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/logslocal"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
	"github.com/moviepipe/moviepipe/deploy/local/stslocal"
)

// maxControlBody bounds a control-plane request: osls uploads code in parts
// of 5 MiB and templates whole.
const maxControlBody = 32 << 20

// controlPlane serves the APIs a deploy tool calls, each on an address of
// its own as the SDKs' AWS_ENDPOINT_URL_<SERVICE> variables name them
// (docs/local-cloud.md lists them): CloudFormation, S3 for the deployment
// buckets, STS's GetCallerIdentity, API Gateway's management API, CloudWatch
// Logs and ECR as far as osls uses them, and Lambda's control plane beside
// its Invoke API. Only the operator may change or read the stacks; every
// request's SigV4 signature is verified first, and a refusal is answered in
// the service's own shape. Any other service, reached through
// AWS_ENDPOINT_URL, is refused by name (otherService).
func (c *Cloud) controlPlane() error {
	c.State.Endpoints = map[string]string{"lambda": c.State.Lambda}
	operator := func(service string) func(*http.Request, []byte) *sigv4.Failure {
		return func(r *http.Request, body []byte) *sigv4.Failure { return c.verifyOperator(r, body, service) }
	}
	gw := apigwadmin.New(restAPIs{c}, region, account)
	gw.Verify = operator("apigateway")
	sts := &stslocal.Service{Verify: func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure) {
		return c.verifier().Verify(r, body, "sts")
	}}
	for _, svc := range []struct {
		name string
		h    http.Handler
	}{
		{"cloudformation", c.operatorOnly("cloudformation", c.cfn, func(w http.ResponseWriter, f *sigv4.Failure) { sigv4.WriteQuery(w, f, cfnapi.Namespace) })},
		{"s3", c.operatorOnly("s3", c.s3, sigv4.WriteS3)},
		{"sts", sts},
		{"api-gateway", gw},
		{"cloudwatch-logs", logslocal.New(nil, operator("logs"))},
		{"ecr", ecrlocal.New(account, operator("ecr"))},
		{"", http.HandlerFunc(otherService)},
	} {
		url, err := c.serve(svc.h)
		if err != nil {
			return err
		}
		c.State.Endpoints[svc.name] = url
	}
	if err := c.dataPlane(); err != nil {
		return err
	}
	c.invoke.Control = c.operatorOnly("lambda", lambdahost.NewControl(lambdaFunctions{c}, region, account), sigv4.WriteLambda)
	return nil
}

// dataPlane adds the operator's data-plane endpoints: the front doors of
// Kinesis, DynamoDB, SQS and Secrets Manager, which verify SigV4 as AWS does and let the
// operator, an administrator, do anything. They stand before the emulators
// themselves, never before the fault-injecting proxies the functions may be
// given (up with MOVIEPIPE_FAULTS). Lambda's is its API, already there.
func (c *Cloud) dataPlane() error {
	for svc, upstream := range map[string]string{"kinesis": c.State.Kinesis, "dynamodb": c.State.DynamoDB, "sqs": c.State.SQS} {
		url := c.doors[svc]
		if c.opts.Faults != nil && svc != "sqs" {
			var err error
			if url, err = c.door(svc, upstream); err != nil {
				return err
			}
		}
		c.State.Endpoints[svc] = url
	}
	c.State.Endpoints["secrets-manager"] = c.doors["secretsmanager"]
	return nil
}

// verifyOperator verifies a request's signature for service and refuses
// anyone but the operator.
func (c *Cloud) verifyOperator(r *http.Request, body []byte, service string) *sigv4.Failure {
	id, f := c.verifier().Verify(r, body, service)
	if f == nil && id.AccessKeyID != c.principals.operator.Identity.AccessKeyID {
		f = &sigv4.Failure{Reason: sigv4.UnknownKey, Message: "User: " + id.ARN + " is not authorized to call " + service + " on the local cloud (only the operator deploys)"}
	}
	if f != nil {
		c.log.Warn("control plane", "service", service, "refused", f.Message, "detail", f.Detail)
	}
	return f
}

// operatorOnly lets the operator's verified requests through to h.
func (c *Cloud) operatorOnly(service string, h http.Handler, deny func(http.ResponseWriter, *sigv4.Failure)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
		if err != nil || len(body) > maxControlBody {
			http.Error(w, "request body unreadable or over 32 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		if f := c.verifyOperator(r, body, service); f != nil {
			deny(w, f)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
	})
}

// otherService answers a call to a service the local cloud does not serve
// (AWS_ENDPOINT_URL sends every service without its own variable here),
// naming the service from the request's SigV4 credential scope, so that a
// deploy tool stops with the reason instead of reaching AWS.
func otherService(w http.ResponseWriter, r *http.Request) {
	service := "unknown"
	if _, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(strings.SplitN(cred, ",", 2)[0], "/"); len(parts) == 5 {
			service = parts[3]
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", "NotEmulated")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, `{"__type":"NotEmulated","message":"The local cloud does not emulate the AWS service `+service+` (`+r.Method+" "+r.URL.Path+`)"}`)
}
