package cloud_test

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// withMapping copies the packaged stacks to a temporary folder, sets
// properties of the processor's event source mapping, and returns the
// folder.
func withMapping(t *testing.T, props map[string]any) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(root(t), ".moviepipe", "package"))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dst, "processor", "cloudformation-template-update-stack.json")
	var tpl map[string]any
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &tpl) != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	found := false
	for _, r := range tpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == "AWS::Lambda::EventSourceMapping" {
			for k, v := range props {
				res["Properties"].(map[string]any)[k] = v
			}
			found = true
		}
	}
	if !found {
		t.Fatal("the processor's template has no event source mapping")
	}
	b, _ = json.Marshal(tpl)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// A stack whose mapping CreateEventSourceMapping would refuse stops the
// start with Lambda's answer, naming the resource.
func TestBadMappingStopsTheStart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"parallelization 11", map[string]any{"ParallelizationFactor": 11},
			"ValidationException: 1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10"},
		{"record age 1 s", map[string]any{"MaximumRecordAgeInSeconds": 1},
			"InvalidParameterValueException: MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 (inclusive)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			upFails(t, withMapping(t, tc.props), tc.want)
		})
	}
}

// A mapping whose function's role may not read the stream stops the start
// as CreateEventSourceMapping refuses it: the mapping reads with that role.
func TestMappingNeedsTheRoleToReadTheStream(t *testing.T) {
	upFails(t, withoutAction(t, "processor", "kinesis:GetRecords"),
		"InvalidParameterValueException: The provided execution role does not have permissions to call GetRecords on Kinesis")
}

func upFails(t *testing.T, templates, want string) {
	t.Helper()
	c, err := cloud.Up(t.Context(), cloud.Options{Root: root(t), Templates: templates, Log: io.Discard})
	if err == nil {
		c.Close()
		t.Fatal("the cloud started")
	}
	if !strings.Contains(err.Error(), "(AWS::Lambda::EventSourceMapping): "+want) {
		t.Fatalf("got %v\nwant the mapping refused with %q", err, want)
	}
}

// A stack with a disabled mapping and four concurrent batches per shard
// starts: the mapping exists and does not poll (the poller's behaviour is
// deploy/local/esm's TestDisabledMappingDoesNotPoll and
// TestParallelizationFactorKeepsOrderPerKey).
func TestDisabledParallelMappingStarts(t *testing.T) {
	r := up(t, cloud.Options{Templates: withMapping(t, map[string]any{"Enabled": false, "ParallelizationFactor": 4})})
	if m := r.c.Mappings(); len(m) != 1 || len(m[0]) != 0 {
		t.Fatalf("mappings %v: want one, with no shard polled", m)
	}
}
