package cloud

import (
	"fmt"
	"net"
	"net/http"

	"github.com/moviepipe/moviepipe/deploy/local/apigw"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// services starts what every stack's resources run on, before any stack
// is deployed: the operator's credentials and a front door before each
// service the functions call, the Lambda account and Invoke API, and the
// API Gateway stage, all empty until a deploy fills them.
func (c *Cloud) services() error {
	c.principals = newPrincipals()
	op := c.principals.operator.Identity
	c.State.Credentials = Credentials{AccessKeyID: op.AccessKeyID, SecretAccessKey: op.SecretAccessKey}
	invokeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.State.Lambda = "http://" + invokeLn.Addr().String()
	c.report, c.doors = &frontdoor.Report{}, map[string]string{}
	for _, svc := range []struct{ name, upstream string }{
		{"dynamodb", c.fnEndpoints[1]}, {"kinesis", c.fnEndpoints[0]}, {"sqs", c.State.SQS}, {"lambda", c.State.Lambda},
		{"secretsmanager", c.secretsAPI},
	} {
		if c.doors[svc.name], err = c.door(svc.name, svc.upstream); err != nil {
			return err
		}
	}
	if c.account, err = c.newAccount(); err != nil {
		return err
	}
	c.invoke = lambda.NewService(nil, c.log)
	c.invoke.Async = func(name string) lambda.AsyncConfig {
		if f := c.function(name); f != nil {
			return f.invokeConfig
		}
		return lambda.DefaultAsync
	}
	if c.opts.AsyncRetryDelays != nil {
		c.invoke.RetryDelays = c.opts.AsyncRetryDelays
	}
	c.invoke.Verify = func(r *http.Request, body []byte) *sigv4.Failure {
		_, f := c.verifier().Verify(r, body, "lambda")
		return f
	}
	c.serveOn(invokeLn, c.invoke)
	return c.gateway()
}

func (c *Cloud) verifier() sigv4.Verifier {
	return sigv4.Verifier{Region: region, Keys: c.principals.identity}
}

// newAccount is the Region's Lambda concurrency, of which each function's
// reserved concurrency is carved as Lambda does when CloudFormation creates
// the function.
func (c *Cloud) newAccount() (*lambda.Account, error) {
	limit := c.opts.Concurrency
	switch {
	case limit == 0:
		limit = NewAccountConcurrency
	case limit < 0:
		return nil, fmt.Errorf("account concurrency %d: at least 1", limit)
	}
	c.log.Info("lambda", "account_concurrency", limit)
	return lambda.NewAccount(limit), nil
}

// gateway serves the stage of every REST API the stacks declare, on one
// address; each deploy sets its routes.
func (c *Cloud) gateway() error {
	c.gw = &apigw.Gateway{APIID: "local", Stage: c.opts.Stage, AccountID: account, OnSegment: c.xray.Put, Log: c.log,
		Verify: func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure) {
			return c.verifier().Verify(r, body, "execute-api")
		}}
	ln, err := c.listen(portAPI)
	if err != nil {
		return err
	}
	c.serveOn(c.gw.Listener(ln), c.gw)
	c.State.API = "http://" + ln.Addr().String() + "/" + c.opts.Stage
	return nil
}

// setRoutes serves the routes of every deployed stack's REST APIs.
func (c *Cloud) setRoutes() {
	var routes []apigw.Route
	for _, name := range c.order {
		run := c.stacks[name]
		for _, a := range run.decl.apis {
			for _, rt := range a.built {
				routes = append(routes, apigw.Route{API: a.name, APIID: a.id, Method: rt.method, Path: rt.path, IAM: rt.iam,
					Host: run.hosts[rt.fn.name], Throttle: rt.throttle, Tracing: rt.tracing, Required: rt.required, BinaryMediaTypes: a.binaryMediaTypes})
			}
		}
	}
	c.gw.SetRoutes(routes)
}
