package cloud

import (
	"fmt"
	"slices"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	lambdahost "github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// restAPIs are the deployed REST APIs and their stages as API Gateway's
// management API reads and changes them (apigwadmin.Stages; the
// conformance suite apigwadmin/stagestest runs against it in
// TestRestAPIsConform). A change takes effect at once on the local gateway.
type restAPIs struct{ c *Cloud }

var _ apigwadmin.Stages = restAPIs{}

// api finds a deployed REST API and its stage; nil if there is none.
func (r restAPIs) api(id string) (*restAPI, map[string]*stage) {
	for _, n := range r.c.order {
		for _, a := range r.c.stacks[n].decl.apis {
			if a.id == id {
				return a, r.stagesOf(id)
			}
		}
	}
	return nil, nil
}

func (r restAPIs) stagesOf(id string) map[string]*stage {
	out := map[string]*stage{}
	for _, st := range r.c.stages {
		if st.api.id == id {
			out[st.model.Name] = st
		}
	}
	return out
}

func (r restAPIs) RestAPIs() []apigwadmin.RestAPI {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	var out []apigwadmin.RestAPI
	for _, n := range r.c.order {
		for _, a := range r.c.stacks[n].decl.apis {
			var created time.Time
			if st := r.c.stages[a.id+"/"+r.c.opts.Stage]; st != nil {
				created = st.model.Created
			}
			out = append(out, apigwadmin.RestAPI{ID: a.id, Name: a.name, RootResourceID: a.root, Created: created})
		}
	}
	return out
}

func (r restAPIs) Deployments(apiID string) ([]apigwadmin.Deployment, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	a, stages := r.api(apiID)
	if a == nil {
		return nil, apigwadmin.ErrNotFound
	}
	var out []apigwadmin.Deployment
	for _, st := range stages {
		if !slices.ContainsFunc(out, func(d apigwadmin.Deployment) bool { return d.ID == st.deployment.ID }) {
			out = append(out, st.deployment)
		}
	}
	return out, nil
}

func (r restAPIs) stage(apiID, name string) (*stage, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	a, stages := r.api(apiID)
	if a == nil || stages[name] == nil {
		return nil, apigwadmin.ErrNotFound
	}
	return stages[name], nil
}

func (r restAPIs) Stage(apiID, name string) (apigwadmin.Stage, error) {
	st, err := r.stage(apiID, name)
	if err != nil {
		return apigwadmin.Stage{}, err
	}
	return st.settings(), nil
}

// CreateStage makes no stage: every REST API's stage is made by its
// Deployment, and the local gateway serves that one stage alone, so a
// stage of another name is refused rather than kept unserved.
func (r restAPIs) CreateStage(apiID string, s apigwadmin.Stage) error {
	if _, err := r.stage(apiID, s.Name); err == nil {
		return apigwadmin.ErrConflict
	}
	if _, err := r.Deployments(apiID); err != nil {
		return err
	}
	return fmt.Errorf("the local gateway serves one stage, %s, made by the REST API's Deployment: a stage %s is not emulated", r.c.opts.Stage, s.Name)
}

func (r restAPIs) UpdateStage(apiID, name string, change func(*apigwadmin.Stage) error) (apigwadmin.Stage, error) {
	st, err := r.stage(apiID, name)
	if err != nil {
		return apigwadmin.Stage{}, err
	}
	return st.update(change)
}

// lambdaFunctions are the deployed functions as Lambda's control plane
// describes them (lambdahost.Functions).
type lambdaFunctions struct{ c *Cloud }

func (l lambdaFunctions) Function(name string) (lambdahost.Function, bool) {
	f := l.c.function(name)
	if f == nil {
		return lambdahost.Function{}, false
	}
	// Handler: addFunction accepts no other.
	return lambdahost.Function{Name: f.name, ARN: f.arn, Runtime: f.runtime, Handler: "bootstrap", Role: f.roleARN,
		MemoryMB: f.memoryMB, Timeout: f.timeout, Env: f.env, LastModified: f.modified,
		TracingMode: f.tracingMode, Reserved: f.reserved, Logging: f.logging}, true
}
