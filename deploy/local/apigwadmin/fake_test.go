package apigwadmin_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin/stagestest"
)

// fake is an in-memory Stages: the REST APIs, their deployments and stages.
type fake struct {
	mu          sync.Mutex
	apis        []apigwadmin.RestAPI
	deployments map[string][]apigwadmin.Deployment
	stages      map[string]map[string]apigwadmin.Stage // API id → name → stage
}

func (f *fake) RestAPIs() []apigwadmin.RestAPI {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.apis)
}

func (f *fake) Deployments(apiID string) ([]apigwadmin.Deployment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.deployments[apiID]
	if !ok {
		return nil, apigwadmin.ErrNotFound
	}
	return slices.Clone(d), nil
}

func (f *fake) Stage(apiID, name string) (apigwadmin.Stage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stages[apiID][name]
	if !ok {
		return apigwadmin.Stage{}, apigwadmin.ErrNotFound
	}
	return s.Clone(), nil
}

func (f *fake) CreateStage(apiID string, s apigwadmin.Stage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	stages, ok := f.stages[apiID]
	switch {
	case !ok:
		return apigwadmin.ErrNotFound
	case stages[s.Name].Name != "":
		return apigwadmin.ErrConflict
	}
	stages[s.Name] = s.Clone()
	return nil
}

func (f *fake) UpdateStage(apiID, name string, change func(*apigwadmin.Stage) error) (apigwadmin.Stage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.stages[apiID][name]
	if !ok {
		return apigwadmin.Stage{}, apigwadmin.ErrNotFound
	}
	s = s.Clone()
	if err := change(&s); err != nil {
		return apigwadmin.Stage{}, err
	}
	f.stages[apiID][name] = s
	return s.Clone(), nil
}

// newFake holds the query API of stage local, and fifty other APIs so that
// listing them takes pages.
func newFake(t *testing.T) (apigwadmin.Stages, stagestest.Fixture) {
	t.Helper()
	created := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f := &fake{deployments: map[string][]apigwadmin.Deployment{}, stages: map[string]map[string]apigwadmin.Stage{}}
	for i := range 50 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26)) + "api0000"
		f.apis = append(f.apis, apigwadmin.RestAPI{ID: id, Name: "other-" + id, Created: created})
		f.deployments[id], f.stages[id] = nil, map[string]apigwadmin.Stage{}
	}
	fx := stagestest.Fixture{
		API:        apigwadmin.RestAPI{ID: "q1w2e3r4t5", Name: "local-moviepipe-query-api", RootResourceID: "rootid", Created: created},
		Deployment: "dep123", Stage: "local", Resource: "/movies/{id}", Method: "GET",
	}
	f.apis = append(f.apis, fx.API)
	f.deployments[fx.API.ID] = []apigwadmin.Deployment{{ID: fx.Deployment, Created: created}}
	f.stages[fx.API.ID] = map[string]apigwadmin.Stage{
		fx.Stage: {Name: fx.Stage, DeploymentID: fx.Deployment, Created: created, LastUpdated: created},
	}
	return f, fx
}

func TestFakeStages(t *testing.T) { stagestest.Run(t, newFake) }
