package stack_test

import (
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
)

const secretARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:moviepipe-local-cursor-key-AbC123"

func cursorKey(props map[string]any) *cfn.Resource {
	return &cfn.Resource{ID: "CursorKeySecret", Type: "AWS::SecretsManager::Secret", Ref: secretARN, Attrs: map[string]string{"Id": secretARN}, Properties: props}
}

// The shared stack's secret is made with a value generated as its
// GenerateSecretString asks, under the ARN its stack gave it, and kept
// with that value when its stack is deployed again; deleting it deletes it.
func TestSecretIsGeneratedAndKept(t *testing.T) {
	st := secretslocal.NewStore()
	cl := stack.Clients{Secrets: st}
	props := map[string]any{"Name": "moviepipe-local-cursor-key", "Description": "cursor key", "Tags": []any{},
		"GenerateSecretString": map[string]any{"PasswordLength": float64(64), "ExcludePunctuation": true}}
	made, notes, err := stack.Create(t.Context(), cl, cursorKey(props))
	if !made || err != nil || len(notes) != 1 || !strings.Contains(notes[0], "Tags accepted, no local effect") {
		t.Fatalf("made %v, notes %v, %v", made, notes, err)
	}
	s, ok := st.Lookup("moviepipe-local-cursor-key")
	if !ok || s.ARN != secretARN || len(s.Value) != 64 || strings.ContainsAny(s.Value, "!#$%&*+-./:;<=>?@_~") {
		t.Fatalf("secret %+v", s)
	}
	if _, _, err := stack.Create(t.Context(), cl, cursorKey(props)); err != nil {
		t.Fatal(err)
	}
	if again, _ := st.Lookup(secretARN); again.Value != s.Value {
		t.Error("the value changed when the stack was deployed again")
	}
	if err := stack.Delete(t.Context(), cl, cursorKey(props)); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Lookup(secretARN); ok {
		t.Error("the secret outlived its stack")
	}
}

// What the local cloud does not emulate of a secret stops the deploy,
// named: replication, a key of one's own, a value given twice, a setting
// of GenerateSecretString it does not know.
func TestSecretRefusals(t *testing.T) {
	gen := map[string]any{"PasswordLength": float64(64)}
	tests := map[string]struct {
		props map[string]any
		want  string
	}{
		"replicas":   {map[string]any{"GenerateSecretString": gen, "ReplicaRegions": []any{map[string]any{"Region": "eu-west-1"}}}, "Properties.ReplicaRegions: not supported"},
		"own key":    {map[string]any{"GenerateSecretString": gen, "KmsKeyId": "alias/mine"}, "KmsKeyId alias/mine: only the default key, alias/aws/secretsmanager"},
		"both":       {map[string]any{"GenerateSecretString": gen, "SecretString": "x"}, "both SecretString and GenerateSecretString"},
		"unknown":    {map[string]any{"GenerateSecretString": map[string]any{"Entropy": "high"}}, "GenerateSecretString.Entropy: not supported"},
		"too short":  {map[string]any{"GenerateSecretString": map[string]any{"PasswordLength": float64(2)}}, "PasswordLength 2 is shorter than the 4 character types"},
		"not number": {map[string]any{"GenerateSecretString": map[string]any{"PasswordLength": "long"}}, "PasswordLength long: not an integer"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			st := secretslocal.NewStore()
			_, _, err := stack.Create(t.Context(), stack.Clients{Secrets: st}, cursorKey(tt.props))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v; want %q", err, tt.want)
			}
			if st.Has(secretARN) {
				t.Error("a refused secret was made")
			}
		})
	}
	// The default key, named, is the one emulated; SecretString is kept as given.
	st := secretslocal.NewStore()
	if _, _, err := stack.Create(t.Context(), stack.Clients{Secrets: st}, cursorKey(map[string]any{"SecretString": "given", "KmsKeyId": "alias/aws/secretsmanager"})); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Lookup(secretARN); s.Value != "given" || s.Name != "moviepipe-local-cursor-key" {
		t.Errorf("secret %+v", s)
	}
}
