package cloud

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation/apigateway"
	"golang.org/x/time/rate"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin/stagestest"
)

func stageOf(routes ...route) (*stage, *restAPI) {
	a := &restAPI{id: "q1w2e3r4t5", name: "local-moviepipe-api", root: "rootid", stage: &apigateway.Deployment{}, built: routes}
	st := newStage(a, "local", time.Now())
	st.deploy(a, "d1", time.Now())
	return st, a
}

func replace(path, value string) apigwadmin.PatchOperation {
	return apigwadmin.PatchOperation{Op: "replace", Path: path, Value: value}
}

// UpdateStage's operations reach the methods their paths name, "*/*"
// standing for every method, and tracing reaches the gateway's routes; a
// later deployment keeps the stage's settings and each method's bucket.
// (What UpdateStage accepts and refuses is apigwadmin's, its tests and
// stagestest.)
func TestPatchStage(t *testing.T) {
	st, a := stageOf(route{method: "GET", path: "/movies/{id}"}, route{method: "GET", path: "/movies"})
	byID, list := a.built[0].throttle, a.built[1].throttle
	if byID.Limit() != rate.Inf || a.built[0].tracing.Load() {
		t.Fatalf("a new stage throttles at %v, traced %v", byID.Limit(), a.built[0].tracing.Load())
	}
	if err := st.patch([]apigwadmin.PatchOperation{replace("/*/*/throttling/rateLimit", "100"), replace("/*/*/throttling/burstLimit", "200"),
		replace("/tracingEnabled", "true")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, th := range []*rate.Limiter{byID, list} {
		if th.Limit() != 100 || th.Burst() != 200 {
			t.Errorf("after /*/*: %v/s burst %d", th.Limit(), th.Burst())
		}
	}
	if !a.built[1].tracing.Load() {
		t.Error("/tracingEnabled true did not reach the routes")
	}
	if err := st.patch([]apigwadmin.PatchOperation{replace("/~1movies~1{id}/GET/throttling/rateLimit", "5")}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if byID.Limit() != 5 || byID.Burst() != 200 || list.Limit() != 100 {
		t.Errorf("one method: %v burst %d, and %v", byID.Limit(), byID.Burst(), list.Limit())
	}
	if err := st.patch([]apigwadmin.PatchOperation{replace("/*/*/throttling/rateLimit", "1"), replace("/*/*/caching/enabled", "true")}, time.Now()); err == nil {
		t.Error("a patch with a setting not emulated was accepted")
	}
	if list.Limit() != 100 {
		t.Errorf("a refused update changed the stage: %v", list.Limit())
	}
	// A new deployment (osls makes one on each changed deploy) with a new
	// method: the stage's settings stay and reach the new method too.
	next := &restAPI{id: a.id, name: a.name, built: []route{{method: "GET", path: "/movies/{id}"}, {method: "GET", path: "/movies"}, {method: "POST", path: "/movies"}}}
	st.deploy(next, "d2", time.Now())
	if next.built[0].throttle != byID || byID.Limit() != 5 || next.built[2].throttle.Limit() != 100 || !next.built[2].tracing.Load() {
		t.Errorf("after a deployment: same bucket %v, %v, new method %v", next.built[0].throttle == byID, byID.Limit(), next.built[2].throttle.Limit())
	}
	if st.settings().DeploymentID != "d2" {
		t.Errorf("the stage points at %s", st.settings().DeploymentID)
	}
}

// The local cloud's REST APIs pass the management API's conformance suite,
// with the one difference that its gateway serves one stage.
func TestRestAPIsConform(t *testing.T) {
	stagestest.Run(t, func(t *testing.T) (apigwadmin.Stages, stagestest.Fixture) {
		st, a := stageOf(route{method: "GET", path: "/movies/{id}"})
		c := &Cloud{opts: Options{Stage: "local"}, stacks: map[string]*stackRun{"query-api-local": {decl: &declared{apis: []*restAPI{a}}}},
			order: []string{"query-api-local"}, stages: map[string]*stage{a.id + "/local": st}}
		return restAPIs{c}, stagestest.Fixture{API: apigwadmin.RestAPI{ID: a.id, Name: a.name, RootResourceID: a.root},
			Deployment: "d1", Stage: "local", Resource: "/movies/{id}", Method: "GET", OneStage: true}
	})
}

// make up applies, from the packaged state, the UpdateStage the
// stage-throttling plugin makes after osls deploy, and only when the stack
// uses the plugin.
func TestStageThrottlingFromState(t *testing.T) {
	dir := t.TempDir()
	write := func(state string) packaged {
		t.Helper()
		path := filepath.Join(dir, "serverless-state.json")
		if err := os.WriteFile(path, []byte(state), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := readPackaged(path)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write(`{"service":{"plugins":["moviepipe-stage-throttling"],"custom":{"stageThrottling":{"rateLimit":100,"burstLimit":200}},
		"provider":{"stackParameters":[{"ParameterKey":"K","ParameterValue":"v"}]}}}`)
	want := []apigwadmin.PatchOperation{replace("/*/*/throttling/rateLimit", "100"), replace("/*/*/throttling/burstLimit", "200")}
	if !slices.Equal(p.stageAfter, want) || p.params["K"] != "v" {
		t.Errorf("%+v", p)
	}
	if p := write(`{"service":{"custom":{"stageThrottling":{"rateLimit":100,"burstLimit":200}}}}`); len(p.stageAfter) != 0 {
		t.Errorf("settings without the plugin applied: %v", p.stageAfter)
	}
	// The query-api stack as make package-local wrote it.
	real := filepath.Join(PackageDir(filepath.Join("..", "..", ".."), "query-api"), "serverless-state.json")
	if _, err := os.Stat(real); err != nil && os.Getenv("CI") != "true" {
		t.Skipf("%v: run make package-local", err)
	}
	p, err := readPackaged(real)
	if err != nil || len(p.stageAfter) != 3 || p.stageAfter[0] != replace("/tracingEnabled", "true") || strings.Contains(p.stageAfter[1].Value, "$") {
		t.Errorf("query-api: %v %v", err, p.stageAfter)
	}
}
