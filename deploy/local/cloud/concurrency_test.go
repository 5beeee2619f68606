package cloud_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// The local cloud's account is a new account's, concurrency 10, of which
// Lambda keeps 10 unreserved: the scraper's old reservedConcurrency: 1 (one
// run at a time, before the lease) is refused with Lambda's message and
// stops the start, as it stopped the scraper stack on a new account.
func TestReservationBeyondTheAccountStopsTheStart(t *testing.T) {
	dir := packagedCopy(t, "scraper", func(res map[string]any) {
		fn := res["ScraperLambdaFunction"].(map[string]any)["Properties"].(map[string]any)
		fn["ReservedConcurrentExecutions"] = 1
	})
	c, err := cloud.Up(t.Context(), cloud.Options{Root: root(t), Log: io.Discard, Templates: dir})
	if err == nil {
		c.Close()
		t.Fatal("the scraper's reservation was accepted by an account of 10")
	}
	want := "ScraperLambdaFunction (AWS::Lambda::Function): InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [10]."
	if !strings.Contains(err.Error(), want) || c != nil {
		t.Errorf("%v; want %q", err, want)
	}
}

// packagedCopy copies the packaged stacks to a directory of the test's and
// edits one stack's resources there: an old or broken configuration.
func packagedCopy(t *testing.T, stack string, edit func(resources map[string]any)) string {
	t.Helper()
	src, dst := cloud.PackageDir(root(t), ""), t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == filepath.Join(stack, "cloudformation-template-update-stack.json") {
			var tpl map[string]any
			if err := json.Unmarshal(data, &tpl); err != nil {
				return err
			}
			edit(tpl["Resources"].(map[string]any))
			if data, err = json.Marshal(tpl); err != nil {
				return err
			}
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
