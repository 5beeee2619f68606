package cloud

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync/atomic"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/esm"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// stackRun is what a deployed stack runs.
type stackRun struct {
	decl     *declared
	hosts    map[string]*lambda.Host // by function name
	slots    map[string]*slot        // by function name: what its mappings invoke
	mappings map[string]*running     // by logical id
}

// slot is a function as its event source mappings invoke it: the host of
// its current configuration, which an update replaces under a mapping
// that keeps its place in the stream.
type slot struct {
	arn  string
	host atomic.Pointer[lambda.Host]
}

func (s *slot) ARN() string { return s.arn }

func (s *slot) Invoke(ctx context.Context, payload []byte, traceHeader string, wait bool) (lambda.Result, error) {
	return s.host.Load().Invoke(ctx, payload, traceHeader, wait)
}

// running is an event source mapping that polls.
type running struct {
	m      *esm.Mapping
	props  map[string]any
	cancel context.CancelFunc
	done   chan struct{}
}

// start makes a stack's functions, routes and mappings what d declares, in
// place of what the stack ran before. A function whose properties and role
// are unchanged keeps its host and environments; an event source mapping
// whose properties are unchanged keeps polling from where it is, invoking
// the function's new host. Everything is checked before anything running
// is replaced.
func (c *Cloud) start(ctx context.Context, name string, d *declared) error {
	old := c.stacks[name]
	if old == nil {
		old = &stackRun{decl: newDeclared(), hosts: map[string]*lambda.Host{}, slots: map[string]*slot{}, mappings: map[string]*running{}}
	}
	if err := c.routesFor(d); err != nil {
		return err
	}
	ps := map[string]*frontdoor.Principal{}
	for _, f := range d.functions {
		p, err := c.principals.functionPrincipal(f, d.roles)
		if err != nil {
			return fmt.Errorf("%s (%s): %w", f.res.ID, f.res.Type, err)
		}
		ps[f.name] = p
	}
	cfgs := map[string]esm.Config{}
	for _, r := range d.mappings {
		cfg, _, err := c.mapping(d, r, ps)
		if err == nil && old.mappings[r.ID] != nil && !reflect.DeepEqual(old.mappings[r.ID].props, r.Properties) {
			err = fmt.Errorf("updating an event source mapping in place is not emulated (its place in the stream would be lost): remove the stack (make remove STAGE=%s) and deploy it again", c.opts.Stage)
		}
		if err != nil {
			return fmt.Errorf("%s (%s): %w", r.ID, r.Type, err)
		}
		cfgs[r.ID] = cfg
	}
	run, replaced, err := c.hostsFor(ctx, d, old, ps)
	if err != nil {
		return err
	}
	c.swap(name, old, run, replaced)
	for _, r := range d.mappings {
		c.keepOrStart(run, old, r, cfgs[r.ID])
	}
	return nil
}

// hostsFor makes the host of each function that is new or changed, and
// reserves its concurrency; it undoes what it made on an error.
func (c *Cloud) hostsFor(ctx context.Context, d *declared, old *stackRun, ps map[string]*frontdoor.Principal) (*stackRun, []*lambda.Host, error) {
	run := &stackRun{decl: d, hosts: map[string]*lambda.Host{}, slots: map[string]*slot{}, mappings: map[string]*running{}}
	var made, replaced []*lambda.Host
	undo := func() {
		for _, h := range made {
			h.Close()
		}
	}
	for _, f := range d.functions {
		prev := old.decl.functionNamed(f.name)
		if h := old.hosts[f.name]; h != nil && prev != nil && equalProps(prev.res, f.res) && c.principals.named(f.name) == ps[f.name] {
			run.hosts[f.name], f.modified = h, prev.modified
			continue
		}
		f.modified = c.now()
		c.principals.put(ps[f.name])
		h, err := c.host(ctx, f, prev)
		if err != nil {
			undo()
			return nil, nil, fmt.Errorf("%s (%s): %w", f.res.ID, f.res.Type, err)
		}
		made = append(made, h)
		run.hosts[f.name] = h
		if oh := old.hosts[f.name]; oh != nil {
			replaced = append(replaced, oh)
		}
	}
	return run, replaced, nil
}

// host builds a function's code and makes its host, its reservation
// carved out of the account in place of the one it had.
func (c *Cloud) host(ctx context.Context, f, prev *function) (*lambda.Host, error) {
	bin, err := c.build(ctx, f.dir, f.name)
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.reserved != nil {
		c.account.Release(*prev.reserved)
	}
	if f.reserved != nil {
		if err := c.account.Reserve(*f.reserved); err != nil {
			if prev != nil && prev.reserved != nil {
				_ = c.account.Reserve(*prev.reserved)
			}
			return nil, err
		}
	}
	return lambda.NewHost(lambda.Config{Name: f.name, ARN: f.arn, Binary: bin, Env: c.environment(f),
		Timeout: f.timeout, MemoryMB: f.memoryMB, Reserved: f.reserved, Account: c.account, Region: region,
		Log: c.fnlog.writer(c.opts.Log), OnSegment: c.functionSegment, Logging: f.logging}), nil
}

// swap puts run in the place of old: the Invoke API, the mappings' slots
// and the gateway reach the new hosts; replaced hosts, and the functions
// and mappings the stack no longer declares, are stopped.
func (c *Cloud) swap(name string, old, run *stackRun, replaced []*lambda.Host) {
	for fn, h := range run.hosts {
		c.invoke.SetHost(h)
		s := old.slots[fn]
		if s == nil {
			s = &slot{arn: h.ARN()}
		}
		s.host.Store(h)
		run.slots[fn] = s
	}
	for fn, h := range old.hosts {
		if run.hosts[fn] == nil {
			c.invoke.RemoveHost(fn)
			c.principals.remove(fn)
			if f := old.decl.functionNamed(fn); f != nil && f.reserved != nil {
				c.account.Release(*f.reserved)
			}
			h.Close()
		}
	}
	for id, m := range old.mappings {
		if !slices.ContainsFunc(run.decl.mappings, func(r *cfn.Resource) bool { return r.ID == id }) {
			m.cancel()
			<-m.done
		}
	}
	for _, h := range replaced {
		h.Close()
	}
	if c.stacks[name] == nil {
		c.order = append(c.order, name)
	}
	c.stacks[name] = run
	c.setRoutes()
}

// keepOrStart keeps a mapping that polls with the same properties, or
// starts it.
func (c *Cloud) keepOrStart(run, old *stackRun, r *cfn.Resource, cfg esm.Config) {
	if m := old.mappings[r.ID]; m != nil {
		run.mappings[r.ID] = m
		return
	}
	f, _ := run.decl.function(r.Properties["FunctionName"].(string))
	m := esm.New(cfg, c.kinesis, run.slots[f.name], c.log)
	ctx, cancel := context.WithCancel(context.Background())
	rm := &running{m: m, props: maps.Clone(r.Properties), cancel: cancel, done: make(chan struct{})}
	run.mappings[r.ID] = rm
	go func() {
		defer close(rm.done)
		if err := m.Run(ctx); err != nil && ctx.Err() == nil {
			c.log.Error("event source mapping", "function", f.name, "error", err)
		}
	}()
}

// stop ends everything a stack runs.
func (c *Cloud) stop(name string) {
	run := c.stacks[name]
	if run == nil {
		return
	}
	for _, m := range run.mappings {
		m.cancel()
		<-m.done
	}
	for fn, h := range run.hosts {
		c.invoke.RemoveHost(fn)
		c.principals.remove(fn)
		if f := run.decl.functionNamed(fn); f != nil && f.reserved != nil {
			c.account.Release(*f.reserved)
		}
		h.Close()
	}
	delete(c.stacks, name)
	c.order = slices.DeleteFunc(c.order, func(n string) bool { return n == name })
	c.setRoutes()
}

// routesFor builds each REST API's routes and points its stage at them,
// making the stage with the deployment's StageDescription when it is new.
func (c *Cloud) routesFor(d *declared) error {
	for _, a := range d.apis {
		if err := a.routes(d, c.opts.Stage); err != nil {
			return fmt.Errorf("%s (%s): %w", a.deployRes.ID, a.deployRes.Type, err)
		}
		key := a.id + "/" + c.opts.Stage
		st := c.stages[key]
		if st == nil {
			st = newStage(a, c.opts.Stage, c.now())
			c.stages[key] = st
		}
		st.deploy(a, a.deployRes.Ref, c.now())
	}
	return nil
}

func (d *declared) functionNamed(name string) *function {
	f, _ := d.function(name)
	return f
}

// equalProps reports whether two resolutions of a resource declare the same.
func equalProps(a, b *cfn.Resource) bool { return reflect.DeepEqual(a.Properties, b.Properties) }

// recordStack keeps a deployed stack's exports and notes in the state
// (nil for a deleted stack) and writes the state file once there is one.
func (c *Cloud) recordStack(name string, exports map[string]string, notes []string) {
	c.exports[name], c.notes[name] = exports, notes
	if exports == nil {
		delete(c.exports, name)
		delete(c.notes, name)
	}
	c.State.Exports, c.State.NotEmulated, c.State.Functions = map[string]string{}, nil, nil
	for _, n := range slices.Sorted(maps.Keys(c.exports)) {
		maps.Copy(c.State.Exports, c.exports[n])
		c.State.NotEmulated = append(c.State.NotEmulated, c.notes[n]...)
	}
	for _, n := range c.order {
		for _, f := range c.stacks[n].decl.functions {
			c.State.Functions = append(c.State.Functions, f.name)
		}
	}
	if c.stateWritten {
		if err := c.writeState(); err != nil {
			c.log.Error("state", "error", err)
		}
	}
}

// function is a deployed function by name.
func (c *Cloud) function(name string) *function {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, run := range c.stacks {
		if f := run.decl.functionNamed(name); f != nil {
			return f
		}
	}
	return nil
}

// functions are the deployed functions, in the order of their stacks.
func (c *Cloud) functions() []*function {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*function
	for _, n := range c.order {
		out = append(out, c.stacks[n].decl.functions...)
	}
	return out
}

func (c *Cloud) now() time.Time { return time.Now() }
