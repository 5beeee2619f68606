package secretslocal_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
)

const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

func ptr[T any](v T) *T { return &v }

// A generated value follows GenerateSecretString's rules (GetRandomPassword
// in the Secrets Manager API Reference): 32 characters by default, the
// length asked, no excluded character, at least one character of each
// included type unless RequireEachIncludedType is false, and a fresh value
// each time.
func TestGeneratedValuesFollowTheRules(t *testing.T) {
	tests := map[string]struct {
		g      secretslocal.Generate
		length int
		allow  string
		need   []string
	}{
		"defaults": {secretslocal.Generate{}, 32, upperLower + digits + punctuation, []string{upper, lower, digits, punctuation}},
		"the stack's cursor key": {secretslocal.Generate{PasswordLength: ptr(64), ExcludePunctuation: true}, 64, upperLower + digits,
			[]string{upper, lower, digits}},
		"digits only, short": {secretslocal.Generate{PasswordLength: ptr(3), ExcludeUppercase: true, ExcludeLowercase: true, ExcludePunctuation: true},
			3, digits, []string{digits}},
		"excluded characters": {secretslocal.Generate{PasswordLength: ptr(200), ExcludeCharacters: "abcXYZ019\"'\\/@"}, 200,
			without(upperLower+digits+punctuation, "abcXYZ019\"'\\/@"), nil},
		"with a space": {secretslocal.Generate{PasswordLength: ptr(400), ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true, IncludeSpace: true},
			400, lower + " ", []string{lower}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			a, err := tt.g.Value()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := tt.g.Value()
			if len(a) != tt.length || a == b && tt.length > 3 {
				t.Errorf("values %q and %q, want %d characters, different", a, b, tt.length)
			}
			for _, r := range a {
				if !strings.ContainsRune(tt.allow, r) {
					t.Errorf("%q holds %q", a, r)
				}
			}
			for _, class := range tt.need {
				if !strings.ContainsAny(a, class) {
					t.Errorf("%q has none of %q", a, class)
				}
			}
		})
	}
}

func TestGeneratedJSONAndRefusals(t *testing.T) {
	v, err := secretslocal.Generate{SecretStringTemplate: `{"user":"app"}`, GenerateStringKey: "password", PasswordLength: ptr(20)}.Value()
	var doc map[string]string
	if err != nil || json.Unmarshal([]byte(v), &doc) != nil || doc["user"] != "app" || len(doc["password"]) != 20 {
		t.Fatalf("%q %v", v, err)
	}
	for name, g := range map[string]secretslocal.Generate{
		"PasswordLength 0":     {PasswordLength: ptr(0)},
		"every character is":   {ExcludeUppercase: true, ExcludeLowercase: true, ExcludeNumbers: true, ExcludePunctuation: true},
		"shorter than the 4":   {PasswordLength: ptr(3)},
		"go together":          {GenerateStringKey: "password"},
		"is not a JSON object": {SecretStringTemplate: `["a"]`, GenerateStringKey: "password"},
	} {
		if _, err := g.Value(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%+v: %v, want an error saying %q", g, err, name)
		}
	}
	// Without RequireEachIncludedType, a short value need not hold each type.
	if v, err := (secretslocal.Generate{PasswordLength: ptr(2), RequireEachIncludedType: ptr(false)}).Value(); err != nil || len(v) != 2 {
		t.Errorf("%q %v", v, err)
	}
}

const (
	upper      = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower      = "abcdefghijklmnopqrstuvwxyz"
	upperLower = upper + lower
	digits     = "0123456789"
)

func without(chars, excluded string) string {
	var b strings.Builder
	for _, r := range chars {
		if !strings.ContainsRune(excluded, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
