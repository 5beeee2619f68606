package templates

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A deployed stage scrapes the site its deployer names: without
// --param="scrapeUrl=…" or SCRAPE_URL, osls refuses to package the scraper,
// naming the variable. (make package names one for stage dev, and make
// package-local packages stage local, whose site the local cloud sets.)
// osls resolves a copy of scraper/serverless.yml, so that the packages the
// other checks read are left alone.
func TestDeployedStageNeedsScrapeURL(t *testing.T) {
	osls := filepath.Join(root(t), "node_modules", ".bin", "osls")
	if _, err := os.Stat(osls); err != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("%v: run make node (make test does)", err)
		}
		t.Fatal(err)
	}
	yml, err := os.ReadFile(filepath.Join(root(t), "scraper", "serverless.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "serverless.yml"), yml, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(t.Context(), osls, append([]string{"print", "--region", "us-east-1"}, args...)...)
		cmd.Dir = dir
		// No credentials of the caller, none looked for on the network.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SLS_TELEMETRY_DISABLED=1", "SLS_NOTIFICATIONS_MODE=off",
			"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=example", "AWS_EC2_METADATA_DISABLED=true"}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("--stage", "dev")
	if err == nil || !strings.Contains(out, `Cannot resolve variable at "provider.environment.SCRAPE_URL": Value not found at "env" source`) {
		t.Errorf("stage dev without a target site: %v\n%s", err, out)
	}
}
