package cloud

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/apigw"
	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// frontDoors gives every function its credentials and puts a front door
// before each service the functions call, checking their roles.
func (c *Cloud) frontDoors(d *declared) error {
	var err error
	if c.principals, err = newPrincipals(d); err != nil {
		return err
	}
	op := c.principals.operator.Identity
	c.State.Credentials = Credentials{AccessKeyID: op.AccessKeyID, SecretAccessKey: op.SecretAccessKey}
	c.report, c.doors = &frontdoor.Report{}, map[string]string{}
	for _, svc := range []struct{ name, upstream string }{
		{"dynamodb", c.fnEndpoints[1]}, {"kinesis", c.fnEndpoints[0]}, {"sqs", c.State.SQS}, {"lambda", c.State.Lambda},
	} {
		if c.doors[svc.name], err = c.door(svc.name, svc.upstream); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cloud) verifier() sigv4.Verifier {
	return sigv4.Verifier{Region: region, Keys: c.principals.identity}
}

// run starts what the stacks declare: a host per function, the Invoke API,
// the gateway with every REST API's routes, and the event source mappings.
func (c *Cloud) run(ctx context.Context, d *declared, kin *kinesis.Client) error {
	account, err := c.account(d)
	if err != nil {
		return err
	}
	invokeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.State.Lambda = "http://" + invokeLn.Addr().String()
	if err := c.frontDoors(d); err != nil {
		return err
	}
	hosts, err := c.functionHosts(ctx, d, account)
	if err != nil {
		return err
	}
	c.invoke = lambda.NewService(c.hosts, c.log)
	c.invoke.Async = func(name string) lambda.AsyncConfig {
		if f, ok := d.function(name); ok {
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
	if err := c.gateway(d, hosts); err != nil {
		return err
	}
	return c.mappingsFor(d, hosts, kin)
}

// account is the Region's Lambda concurrency, each function's reserved
// concurrency carved out of it as Lambda does when CloudFormation creates
// the function: a reservation that leaves the unreserved pool below its
// minimum stops the start with Lambda's message.
func (c *Cloud) account(d *declared) (*lambda.Account, error) {
	limit := c.opts.Concurrency
	switch {
	case limit == 0:
		limit = NewAccountConcurrency
	case limit < 0:
		return nil, fmt.Errorf("account concurrency %d: at least 1", limit)
	}
	account := lambda.NewAccount(limit)
	for _, f := range d.functions {
		if f.reserved == nil {
			continue
		}
		if err := account.Reserve(*f.reserved); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", f.res.ID, f.res.Type, err)
		}
	}
	c.log.Info("lambda", "account_concurrency", limit, "unreserved", account.Unreserved())
	return account, nil
}

// functionHosts builds each function's code and makes its host.
func (c *Cloud) functionHosts(ctx context.Context, d *declared, account *lambda.Account) (map[*function]*lambda.Host, error) {
	hosts := map[*function]*lambda.Host{}
	built := map[string]string{} // service folder → bootstrap
	for _, f := range d.functions {
		bin, ok := built[f.dir]
		if !ok {
			var err error
			if bin, err = c.build(ctx, f.dir, filepath.Base(f.dir)); err != nil {
				return nil, err
			}
			built[f.dir] = bin
		}
		h := lambda.NewHost(lambda.Config{Name: f.name, ARN: f.arn, Binary: bin, Env: c.environment(f),
			Timeout: f.timeout, MemoryMB: f.memoryMB, Reserved: f.reserved, Account: account, Region: region,
			Log: c.opts.Log, OnSegment: c.functionSegment})
		hosts[f] = h
		c.hosts = append(c.hosts, h)
		c.State.Functions = append(c.State.Functions, f.name)
	}
	return hosts, nil
}

func (c *Cloud) gateway(d *declared, hosts map[*function]*lambda.Host) error {
	gw := &apigw.Gateway{APIID: "local", Stage: c.opts.Stage, AccountID: account, OnSegment: c.xray.Put, Log: c.log,
		Verify: func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure) {
			return c.verifier().Verify(r, body, "execute-api")
		}}
	for _, a := range d.apis {
		for _, rt := range a.built {
			gw.Routes = append(gw.Routes, apigw.Route{API: a.name, APIID: a.id, Method: rt.method, Path: rt.path, IAM: rt.iam,
				Host: hosts[rt.fn], Throttle: rt.throttle.Limiter, Required: rt.required, BinaryMediaTypes: a.binaryMediaTypes})
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.serveOn(gw.Listener(ln), gw)
	api := "http://" + ln.Addr().String()
	c.State.API = api + "/" + c.opts.Stage
	return nil
}

func (c *Cloud) mappingsFor(d *declared, hosts map[*function]*lambda.Host, kin *kinesis.Client) error {
	runCtx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for _, r := range d.mappings {
		cfg, f, err := c.mapping(d, r, d.streams)
		if err != nil {
			return fmt.Errorf("%s (AWS::Lambda::EventSourceMapping): %w", r.ID, err)
		}
		m := esm.New(cfg, kin, hosts[f], c.log)
		c.mappings = append(c.mappings, m)
		c.wg.Go(func() {
			if err := m.Run(runCtx); err != nil && runCtx.Err() == nil {
				c.log.Error("event source mapping", "function", f.name, "error", err)
			}
		})
	}
	return nil
}
