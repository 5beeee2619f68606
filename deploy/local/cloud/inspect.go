package cloud

import (
	"context"
	"errors"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// What a running cloud shows its tests and commands.

// Mappings returns the event source mappings' shard states, by function.
func (c *Cloud) Mappings() []map[string]esm.ShardState {
	var out []map[string]esm.ShardState
	for _, m := range c.runningMappings() {
		out = append(out, m.State())
	}
	return out
}

func (c *Cloud) runningMappings() []*esm.Mapping {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*esm.Mapping
	for _, name := range c.order {
		for _, r := range c.stacks[name].decl.mappings {
			out = append(out, c.stacks[name].mappings[r.ID].m)
		}
	}
	return out
}

// Replay delivers every stream's records again from the trim horizon, as a
// new event source mapping would, and returns when each shard is caught up.
func (c *Cloud) Replay(ctx context.Context) error {
	for _, live := range c.runningMappings() {
		m := live.FromTrimHorizon()
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.Run(rctx) }()
		for {
			st := m.State()
			caught := len(st) > 0
			for _, s := range st {
				caught = caught && s.CaughtUp && s.Read > 0
			}
			if caught {
				break
			}
			select {
			case <-ctx.Done():
				cancel()
				if err := <-done; err != nil {
					return errors.Join(ctx.Err(), err)
				}
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		cancel()
		if err := <-done; err != nil {
			return err
		}
	}
	return nil
}

// SetSiteFault makes the sample site's list pages misbehave ("" for none).
func (c *Cloud) SetSiteFault(mode string) { c.site.Fault.Store(mode) }

// Faults returns the fault-injecting proxies (Kinesis, DynamoDB), if any.
func (c *Cloud) Faults() []*faults.Proxy { return c.proxies }

// SitePages is how many catalogue list pages the site has served.
func (c *Cloud) SitePages() int { return int(c.site.ListPages.Load()) }

// DynamoDB returns a client of the cloud's DynamoDB.
func (c *Cloud) DynamoDB() *dynamodb.Client { return c.dynamo }

// XRay returns the X-Ray daemon.
func (c *Cloud) XRay() *xraylocal.Daemon { return c.xray }

// SQS returns the local SQS.
func (c *Cloud) SQS() *sqslocal.Server { return c.sqs }

// Exports are the deployed stacks' exports, read while deploys run.
func (c *Cloud) Exports() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.State.Exports)
}

// Hosts returns the function hosts, in the order their stacks were
// deployed.
func (c *Cloud) Hosts() []*lambda.Host {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*lambda.Host
	for _, name := range c.order {
		for _, f := range c.stacks[name].decl.functions {
			out = append(out, c.stacks[name].hosts[f.name])
		}
	}
	return out
}
