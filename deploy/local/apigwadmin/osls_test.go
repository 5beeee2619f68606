package apigwadmin_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/internal/awstest"
	"github.com/moviepipe/moviepipe/deploy/local/logslocal"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
	"github.com/moviepipe/moviepipe/deploy/local/stslocal"
)

// recorder notes each request's method and path.
type recorder struct {
	mu    sync.Mutex
	calls []string
	next  http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.calls = append(rec.calls, r.Method+" "+r.URL.Path)
	rec.mu.Unlock()
	rec.next.ServeHTTP(w, r)
}

func (rec *recorder) take() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := rec.calls
	rec.calls = nil
	return out
}

// deletions records the log groups osls asks to delete; there are none.
type deletions struct {
	mu    sync.Mutex
	names []string
}

func (d *deletions) DeleteLogGroup(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.names = append(d.names, name)
	return logslocal.ErrNotFound
}

// deleted returns the log groups osls asked to delete, waiting a little for
// a request osls may not have waited for before it exited.
func (d *deletions) deleted() []string {
	for range 50 {
		d.mu.Lock()
		names := slices.Clone(d.names)
		d.mu.Unlock()
		if len(names) > 0 {
			return names
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// oslsCloud is the part of the local cloud osls's after-deploy hooks call.
type oslsCloud struct {
	api  *recorder
	logs *deletions
	env  []string
}

func newOslsCloud(t *testing.T, stages apigwadmin.Stages) *oslsCloud {
	t.Helper()
	operator := sigv4.Identity{AccessKeyID: "AKIALOCALOPERATOR001", SecretAccessKey: "operator-secret",
		ARN: "arn:aws:iam::000000000000:user/local", UserID: "AIDALOCALOPERATOR001"}
	v := sigv4.Verifier{Region: "us-east-1", Keys: func(k string) (sigv4.Identity, bool) { return operator, k == operator.AccessKeyID }}
	verify := func(service string) func(*http.Request, []byte) *sigv4.Failure {
		return func(r *http.Request, body []byte) *sigv4.Failure { _, f := v.Verify(r, body, service); return f }
	}
	admin := apigwadmin.New(stages, "us-east-1", "000000000000")
	admin.Verify = verify("apigateway")
	c := &oslsCloud{api: &recorder{next: admin}, logs: &deletions{}}
	sts := &stslocal.Service{Verify: func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure) { return v.Verify(r, body, "sts") }}
	for name, h := range map[string]http.Handler{"API_GATEWAY": c.api, "STS": sts, "CLOUDWATCH_LOGS": logslocal.New(c.logs, verify("logs"))} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		c.env = append(c.env, "AWS_ENDPOINT_URL_"+name+"="+srv.URL)
	}
	return c
}

// oslsStage is what osls_stage.js prints.
type oslsStage struct {
	Stage struct {
		StageName, DeploymentID string
		TracingEnabled          bool
		Tags                    map[string]string
		MethodSettings          map[string]struct {
			ThrottlingRateLimit  float64
			ThrottlingBurstLimit int
		}
	}
	Failure *struct {
		Name, Message string
		Status        int
	}
}

// throttlingPlugin is this checkout's stage-throttling plugin, or "-" when
// it is the version that throttled through the template instead of an
// UpdateStage after deploy.
func throttlingPlugin(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "..", "plugins", "stage-throttling"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "index.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "'after:deploy:deploy'") {
		t.Log("this checkout's stage-throttling plugin sets throttling in the template: its run is left out")
		return "-"
	}
	return dir
}

func runOslsStage(t *testing.T, c *oslsCloud, plugin string) oslsStage {
	t.Helper()
	var out oslsStage
	awstest.Node(t, c.env, &out, filepath.Join("testdata", "osls_stage.js"),
		awstest.OslsDir(t), plugin, "moviepipe-query-api", "local-moviepipe-query-api", "local")
	if out.Failure != nil {
		t.Fatalf("osls: %+v", *out.Failure)
	}
	return out
}

// osls deploy's after-deploy hooks, run twice on a stage the stack made:
// osls's update-stage.js finds the API by name (GetRestApis), its
// deployment and stage, turns tracing on, tags the stage with the
// stackTags, and deletes the access-log group it does not use; the plugin
// throttles every method. The second deploy finds the tags in place.
func TestOslsUpdatesTheStage(t *testing.T) {
	stages, fx := newFake(t)
	c := newOslsCloud(t, stages)
	plugin := throttlingPlugin(t)

	got := runOslsStage(t, c, plugin)
	api, stage := "/restapis/"+fx.API.ID, "/restapis/"+fx.API.ID+"/stages/local"
	want := []string{"GET /restapis", "GET " + api + "/deployments", "GET " + stage, "PATCH " + stage,
		"PUT /tags/arn:aws:apigateway:us-east-1::" + stage}
	if plugin != "-" {
		want = append(want, "GET /restapis", "PATCH "+stage)
	}
	want = append(want, "GET /restapis", "GET "+stage) // the script's own reads
	checkCalls(t, c.api.take(), want)
	checkStage(t, got, plugin != "-")
	if names := c.logs.deleted(); !slices.Equal(names, []string{"/aws/api-gateway/moviepipe-query-api-local"}) {
		t.Errorf("osls deleted the log groups %v", names)
	}

	runOslsStage(t, c, plugin)
	for _, call := range c.api.take() {
		if strings.HasPrefix(call, "PUT /tags/") || strings.HasPrefix(call, "DELETE /tags/") {
			t.Errorf("the second deploy retagged the stage: %s", call)
		}
	}
}

// A stage the stack did not make is made by osls on the API's first
// deployment (CreateStage), then updated.
func TestOslsCreatesAMissingStage(t *testing.T) {
	stages, fx := newFake(t)
	delete(stages.(*fake).stages[fx.API.ID], fx.Stage)
	c := newOslsCloud(t, stages)
	got := runOslsStage(t, c, throttlingPlugin(t))
	calls := c.api.take()
	if !slices.Contains(calls, "POST /restapis/"+fx.API.ID+"/stages") {
		t.Errorf("osls did not create the stage: %v", calls)
	}
	if got.Stage.DeploymentID != fx.Deployment || !got.Stage.TracingEnabled {
		t.Errorf("the stage osls made: %+v", got.Stage)
	}
}

func checkCalls(t *testing.T, got, want []string) {
	t.Helper()
	for i := range got {
		// The ARN in the tags path comes escaped ("%2F"): compare it read.
		got[i] = strings.ReplaceAll(got[i], "%2F", "/")
	}
	if !slices.Equal(got, want) {
		t.Errorf("osls called\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func checkStage(t *testing.T, got oslsStage, throttled bool) {
	t.Helper()
	s := got.Stage
	if s.StageName != "local" || !s.TracingEnabled || s.Tags["project"] != "moviepipe" || s.Tags["stage"] != "local" || len(s.Tags) != 2 {
		t.Errorf("stage after osls: %+v", s)
	}
	all, ok := s.MethodSettings[apigwadmin.AllMethods]
	if throttled && (!ok || all.ThrottlingRateLimit != 100 || all.ThrottlingBurstLimit != 200) {
		t.Errorf("the plugin's throttling: %+v", s.MethodSettings)
	}
}
