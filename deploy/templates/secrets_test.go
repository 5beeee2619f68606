package templates

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The listing's cursor key is a secret generated per stage: the shared
// stack makes it with GenerateSecretString (never a value written in the
// template, never one derived from a name) and exports its ARN, the Ref of
// the secret.
func TestCursorKeyIsAGeneratedSecret(t *testing.T) {
	secrets := ofType(load(t, "resources"), "AWS::SecretsManager::Secret")
	key := secrets["CursorKeySecret"]
	if len(secrets) != 1 || key == nil {
		t.Fatalf("secrets %v, want the one CursorKeySecret", secrets)
	}
	gen, _ := key["GenerateSecretString"].(map[string]any)
	if gen == nil || num(gen["PasswordLength"]) < 32 || key["SecretString"] != nil || key["Name"] != "moviepipe-dev-cursor-key" {
		t.Errorf("cursor key secret %v: want a generated value of at least 32 characters, named for the stage", key)
	}
	// Neither replicated nor encrypted with a key the local cloud refuses.
	for _, p := range []string{"ReplicaRegions", "KmsKeyId"} {
		if _, ok := key[p]; ok {
			t.Errorf("cursor key secret has %s", p)
		}
	}
	var raw struct {
		Outputs map[string]struct {
			Value  any
			Export struct{ Name string }
		}
	}
	readTemplate(t, "resources", &raw)
	out := raw.Outputs["CursorKeySecretArn"]
	if ref, _ := out.Value.(map[string]any); ref["Ref"] != "CursorKeySecret" || out.Export.Name != "moviepipe-dev-CursorKeySecretArn" {
		t.Errorf("output CursorKeySecretArn %+v: want the secret's Ref (its ARN) exported", out)
	}
}

// Only the query API may read the secret, with exactly
// secretsmanager:GetSecretValue on exactly the imported ARN (the pair is in
// TestIAMIsExactlyWhatEachFunctionNeeds); it is told the ARN, not the key.
func TestOnlyTheQueryAPIReadsTheCursorKey(t *testing.T) {
	for _, stack := range []string{"processor", "query-api", "scraper"} {
		var got []string
		for _, p := range pairs(t, load(t, stack)) {
			if strings.HasPrefix(p, "secretsmanager:") || strings.Contains(p, "CursorKeySecret") {
				got = append(got, p)
			}
		}
		want := ""
		if stack == "query-api" {
			want = "secretsmanager:GetSecretValue import:moviepipe-dev-CursorKeySecretArn"
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s: secret grants %v, want %q", stack, got, want)
		}
	}
	for id, fn := range ofType(load(t, "query-api"), "AWS::Lambda::Function") {
		vars, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if resource(vars["CURSOR_KEY_SECRET_ARN"]) != "import:moviepipe-dev-CursorKeySecretArn" {
			t.Errorf("%s: CURSOR_KEY_SECRET_ARN %v", id, vars["CURSOR_KEY_SECRET_ARN"])
		}
		if _, ok := vars["CURSOR_KEY"]; ok {
			t.Errorf("%s: a cursor key in its environment", id)
		}
	}
}

// readTemplate decodes a stack's generated template into v.
func readTemplate(t *testing.T, stack string, v any) {
	t.Helper()
	load(t, stack) // skips or fails as the other checks do when it is missing
	data, err := os.ReadFile(filepath.Join(root(t), stacks[stack], ".serverless", "cloudformation-template-update-stack.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}
