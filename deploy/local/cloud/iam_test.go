package cloud_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// withoutAction copies the packaged stacks to a temporary folder, removes
// action from the role of stack's functions, and returns the folder.
func withoutAction(t *testing.T, stack, action string) string {
	t.Helper()
	src := filepath.Join(root(t), ".moviepipe", "package")
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dst, stack, "cloudformation-template-update-stack.json")
	var tpl map[string]any
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, &tpl) != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	role := tpl["Resources"].(map[string]any)["IamRoleLambdaExecution"].(map[string]any)["Properties"].(map[string]any)
	removed := false
	for _, p := range role["Policies"].([]any) {
		doc := p.(map[string]any)["PolicyDocument"].(map[string]any)
		var kept []any
		for _, st := range doc["Statement"].([]any) {
			s := st.(map[string]any)
			actions, _ := s["Action"].([]any)
			if i := slices.Index(actions, any(action)); i >= 0 {
				actions, removed = slices.Delete(actions, i, i+1), true
				s["Action"] = actions
			}
			if len(actions) > 0 {
				kept = append(kept, s)
			}
		}
		doc["Statement"] = kept
	}
	if !removed {
		t.Fatalf("%s's role has no %s", stack, action)
	}
	b, _ = json.Marshal(tpl)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// The processor's role without dynamodb:PutItem: its write is denied as
// IAM would deny it, the record is reported for retry and delivered again,
// and it is neither stored nor parked: not lost. On AWS it would wait in
// the stream for the permission, or reach the on-failure queue when its
// retries run out.
func TestMissingPermissionIsDeniedAndRetried(t *testing.T) {
	r := up(t, cloud.Options{Templates: withoutAction(t, "processor", "dynamodb:PutItem")})
	rec := `{"schema":"movie-record.v1","id":"tt0111161","title":"The Shawshank Redemption","sourceUrl":"https://example.com/","scrapedAt":"2026-11-26T09:30:00Z","runId":"iam-test"}`
	if _, err := r.kin.PutRecord(t.Context(), &kinesis.PutRecordInput{StreamName: &r.stream, Data: []byte(rec), PartitionKey: aws.String("tt0111161")}); err != nil {
		t.Fatal(err)
	}
	denied := 0
	for deadline := time.Now().Add(time.Minute); denied < 2 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		denied = 0
		for _, u := range r.c.Permissions().Denied {
			if strings.HasPrefix(u.Caller, "moviepipe-processor") && u.Action == "dynamodb:PutItem" && strings.HasSuffix(u.Resource, ":table/"+r.movies) {
				denied = u.Count
			}
		}
	}
	if denied < 2 {
		t.Fatalf("PutItem denied %d times; want the record denied and delivered again", denied)
	}
	if n := count(t, r.db, r.movies); n != 0 {
		t.Fatalf("%d films stored without the permission", n)
	}
	if got := r.parked(); len(got) != 0 {
		t.Fatalf("parked %v: a denied write must be retried, not parked", got)
	}
	r.logs.mu.Lock()
	logs := r.logs.w.(*strings.Builder).String()
	r.logs.mu.Unlock()
	if !strings.Contains(logs, "AccessDeniedException") || !strings.Contains(logs, "is not authorized to perform: dynamodb:PutItem") {
		t.Fatalf("the processor's logs do not show AWS's denial")
	}
}
