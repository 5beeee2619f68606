package cloud_test

import (
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// deployTree lays out in a scratch folder what osls deploy reads: each
// stack's serverless.yml, from the repository or, over it, from an old
// configuration in testdata/old/<old>; dist, node_modules and the plugins
// linked. osls writes its .serverless there, never in the repository.
func deployTree(t *testing.T, old string) string {
	t.Helper()
	repo, tree := root(t), t.TempDir()
	for _, s := range cloud.Stacks {
		copyFile(t, filepath.Join(repo, s, "serverless.yml"), filepath.Join(tree, s, "serverless.yml"))
	}
	for _, link := range []string{"node_modules", "dist", filepath.Join("deploy", "plugins")} {
		if err := os.Symlink(filepath.Join(repo, link), filepath.Join(tree, link)); err != nil {
			t.Fatal(err)
		}
	}
	if old == "" {
		return tree
	}
	src := filepath.Join("testdata", "old", old)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		copyFile(t, p, filepath.Join(tree, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(to), 0o755)
	}
	if err == nil {
		err = os.WriteFile(to, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// osls runs the pinned osls in a stack folder of tree against c, as make
// deploy STAGE=local runs it (moviepipe-local exec): its output, and
// whether it succeeded.
func osls(t *testing.T, c *cloud.Cloud, tree, stack string, args ...string) (string, bool) {
	t.Helper()
	bin := filepath.Join(root(t), "node_modules", ".bin", "osls")
	cmd := exec.CommandContext(t.Context(), bin, append(args, "--region", "us-east-1")...)
	cmd.Dir = filepath.Join(tree, stack)
	cmd.Env = c.State.DeployEnv(append(os.Environ(), "HOME="+tree, "SLS_TELEMETRY_DISABLED=1", "SLS_NOTIFICATIONS_MODE=off"))
	out, err := cmd.CombinedOutput()
	t.Logf("osls %s (%s):\n%s", strings.Join(args, " "), stack, out)
	return string(out), err == nil
}

// make deploy STAGE=local's path, end to end: osls deploys the four stacks
// in order into an empty local cloud and the pipeline runs on them; a
// changed query-api is deployed again and its new stage throttling applies
// (the plugin's UpdateStage); an unchanged stack's deploy is skipped; osls
// removes the four, services first, and nothing is left.
func TestOslsDeploysIntoTheLocalCloud(t *testing.T) {
	r := up(t, cloud.Options{Empty: true})
	tree := deployTree(t, "")
	for _, s := range cloud.Stacks {
		if out, ok := osls(t, r.c, tree, s, "deploy", "--stage", "local"); !ok || !strings.Contains(out, "Service deployed to stack moviepipe-") {
			t.Fatalf("osls deploy %s failed", s)
		}
	}
	exports := r.c.Exports()
	r.movies, r.errors = exports["moviepipe-local-MoviesTableName"], exports["moviepipe-local-ErrorsTableName"]
	if code, rep := r.scrape(`{"maxPages":1}`); code != http.StatusOK || rep.RecordsPublished == 0 {
		t.Fatalf("scrape: %d %+v", code, rep)
	}
	if n := r.settle(2 * time.Minute); n == 0 {
		t.Fatal("nothing stored")
	}

	yml := filepath.Join(tree, "query-api", "serverless.yml")
	b, _ := os.ReadFile(yml)
	changed := strings.Replace(strings.Replace(string(b), "rateLimit: 100", "rateLimit: 1", 1), "burstLimit: 200", "burstLimit: 1", 1)
	if changed == string(b) {
		t.Fatal("query-api/serverless.yml: no rateLimit: 100 and burstLimit: 200 to change")
	}
	if err := os.WriteFile(yml, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, ok := osls(t, r.c, tree, "query-api", "deploy", "--stage", "local"); !ok || !strings.Contains(out, "Service deployed to stack moviepipe-query-api-local") {
		t.Fatal("the changed redeploy failed")
	}
	first, _ := request(t, "GET", r.c.State.API+"/movies/tt0000001", "", nil)
	second, body := request(t, "GET", r.c.State.API+"/movies/tt0000001", "", nil)
	if first != http.StatusNotFound || second != http.StatusTooManyRequests {
		t.Errorf("after the redeploy at 1 request/s, burst 1: %d then %d %s", first, second, body)
	}
	if out, ok := osls(t, r.c, tree, "processor", "deploy", "--stage", "local"); !ok || !strings.Contains(out, "No changes to deploy") {
		t.Error("an unchanged stack was deployed again")
	}

	for i := len(cloud.Stacks) - 1; i >= 0; i-- {
		if _, ok := osls(t, r.c, tree, cloud.Stacks[i], "remove", "--stage", "local"); !ok {
			t.Fatalf("osls remove %s failed", cloud.Stacks[i])
		}
	}
	if n, exports := len(r.c.Hosts()), r.c.Exports(); n != 0 || len(exports) != 0 {
		t.Errorf("after remove: %d functions, exports %v", n, exports)
	}
	tables, err := r.db.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil || len(tables.TableNames) != 0 {
		t.Errorf("tables left: %v %v", tables, err)
	}
}

// The configurations issue 21 found undeployable (testdata/old) fail here
// as they would on AWS, each with CloudFormation's or Lambda's own words.
func TestOldConfigurationsFail(t *testing.T) {
	r := up(t, cloud.Options{Empty: true})
	refused := func(out string, ok bool, want string) {
		t.Helper()
		if ok || !strings.Contains(out, want) {
			t.Errorf("deployed: %v; want the refusal %q", ok, want)
		}
	}
	// A stage of its own: the failed creation leaves its stack behind.
	out, ok := osls(t, r.c, deployTree(t, "stack-parameters"), "deploy/resources", "deploy", "--stage", "old")
	refused(out, ok, "Parameters: [StreamShards] do not exist in the template")

	if _, ok := osls(t, r.c, deployTree(t, ""), "deploy/resources", "deploy", "--stage", "local"); !ok {
		t.Fatal("the shared stack failed to deploy")
	}
	out, ok = osls(t, r.c, deployTree(t, "reserved-concurrency"), "scraper", "deploy", "--stage", "local")
	refused(out, ok, "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [10].")

	tree := deployTree(t, "stage-description")
	if _, ok := osls(t, r.c, tree, "query-api", "deploy", "--stage", "local"); !ok {
		t.Fatal("the old query-api's first deploy failed: only its next changed deploy should")
	}
	yml := filepath.Join(tree, "query-api", "serverless.yml")
	b, _ := os.ReadFile(yml)
	if err := os.WriteFile(yml, []byte(strings.Replace(string(b), "rateLimit: 100", "rateLimit: 50", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ok = osls(t, r.c, tree, "query-api", "deploy", "--stage", "local")
	refused(out, ok, "StageDescription cannot be specified when stage referenced by StageName already exists")
}
