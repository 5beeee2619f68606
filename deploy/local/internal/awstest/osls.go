// Package awstest holds what the tests of the local cloud's AWS services
// share: checking an AWS SDK error against the answer AWS documents, and
// running the pinned osls's own code, under node, against a local service.
package awstest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// OslsDir returns the folder of the pinned osls, found in node_modules
// above the test's folder (make test installs it with npm ci). Without node
// or osls the test fails when CI=true and skips elsewhere.
func OslsDir(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err == nil {
		wd, _ := os.Getwd()
		for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
			dir := filepath.Join(d, "node_modules", "osls")
			if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
				return dir
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("node or node_modules/osls missing: run npm ci (make node)")
	}
	t.Skip("node or node_modules/osls missing: run npm ci (make node) to run osls against the local service")
	return ""
}

// Node runs node script args with env (KEY=value) added to a bare
// environment, and decodes the one JSON document it prints into out. The
// environment holds no profile, proxy or credentials of this machine, and
// the SDK does not retry: a refusal is seen as the server sent it.
func Node(t testing.TB, env []string, out any, script string, args ...string) {
	t.Helper()
	cmd := exec.Command("node", append([]string{script}, args...)...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_MAX_ATTEMPTS=1", "SLS_AWS_REQUEST_MAX_RETRIES=0", "NODE_NO_WARNINGS=1",
	}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s printed %q: %v\n%s", script, stdout.String(), err, stderr.String())
	}
}
