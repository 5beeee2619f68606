package cloud

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func stageOf(routes ...route) (*stage, *restAPI) {
	a := &restAPI{name: "local-moviepipe-api", built: routes}
	st := newStage(a, "local", time.Now())
	st.deploy(a, "d1")
	return st, a
}

// UpdateStage's throttling operations reach the methods their paths name,
// "*/*" standing for every method; a refused update changes nothing; a
// later deployment keeps the stage's settings and each method's bucket.
func TestPatchStage(t *testing.T) {
	st, a := stageOf(route{method: "GET", path: "/movies/{id}"}, route{method: "GET", path: "/movies"})
	byID, list := a.built[0].throttle, a.built[1].throttle
	if byID.Limit() != rate.Inf {
		t.Fatalf("an unset stage throttles at %v", byID.Limit())
	}
	if err := st.patch([]patchOp{{"replace", "/*/*/throttling/rateLimit", "100"}, {"replace", "/*/*/throttling/burstLimit", "200"}}); err != nil {
		t.Fatal(err)
	}
	for _, th := range []*rate.Limiter{byID, list} {
		if th.Limit() != 100 || th.Burst() != 200 {
			t.Errorf("after /*/*: %v/s burst %d", th.Limit(), th.Burst())
		}
	}
	if err := st.patch([]patchOp{{"replace", "/~1movies~1{id}/GET/throttling/rateLimit", "5"}}); err != nil {
		t.Fatal(err)
	}
	if byID.Limit() != 5 || byID.Burst() != 200 || list.Limit() != 100 {
		t.Errorf("one method: %v burst %d, and %v", byID.Limit(), byID.Burst(), list.Limit())
	}
	for _, bad := range [][]patchOp{
		{{"replace", "/*/*/throttling/rateLimit", "1"}, {"replace", "/*/*/throttling/burstLimit", "1.5"}},
		{{"replace", "/*/*/throttling/rateLimit", "1"}, {"add", "/*/*/throttling/burstLimit", "1"}},
		{{"replace", "/*/*/throttling/rateLimit", "1"}, {"replace", "/*/*/caching/enabled", "true"}},
		{{"replace", "/~1films/GET/throttling/rateLimit", "1"}},
		{{"replace", "/*/*/throttling/rateLimit", "-1"}},
	} {
		if err := st.patch(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if byID.Limit() != 5 || list.Limit() != 100 || list.Burst() != 200 {
		t.Errorf("a refused update changed the stage: %v, %v burst %d", byID.Limit(), list.Limit(), list.Burst())
	}
	// A new deployment (osls makes one on each changed deploy) with a new
	// method: the stage's settings stay and reach the new method too.
	next := &restAPI{name: a.name, built: []route{{method: "GET", path: "/movies/{id}"}, {method: "GET", path: "/movies"}, {method: "POST", path: "/movies"}}}
	st.deploy(next, "d2")
	if next.built[0].throttle != byID || byID.Limit() != 5 || next.built[2].throttle.Limit() != 100 {
		t.Errorf("after a deployment: same bucket %v, %v, new method %v", next.built[0].throttle == byID, byID.Limit(), next.built[2].throttle.Limit())
	}
	// A rate with no burst limit gets the account's burst, not a bucket
	// that admits nothing.
	b, ba := stageOf(route{method: "GET", path: "/x"})
	if err := b.patch([]patchOp{{"replace", "/*/*/throttling/rateLimit", "10"}}); err != nil || ba.built[0].throttle.Burst() != accountBurst {
		t.Errorf("%v, burst %d", err, ba.built[0].throttle.Burst())
	}
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
	want := []patchOp{{"replace", "/*/*/throttling/rateLimit", "100"}, {"replace", "/*/*/throttling/burstLimit", "200"}}
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
	if err != nil || len(p.stageAfter) != 2 || strings.Contains(p.stageAfter[0].Value, "$") {
		t.Errorf("query-api: %v %v", err, p.stageAfter)
	}
}
