package secretslocal

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// The character classes of a generated password (GetRandomPassword in the
// Secrets Manager API Reference): "By default, Secrets Manager uses
// uppercase and lowercase letters, numbers, and the following characters
// in passwords: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~".
const (
	upper       = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lower       = "abcdefghijklmnopqrstuvwxyz"
	digits      = "0123456789"
	punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)

// Generate is GenerateSecretString's settings (the CloudFormation property
// of AWS::SecretsManager::Secret, GetRandomPassword's parameters).
type Generate struct {
	PasswordLength     *int // [32], 1 to 4,096
	ExcludeCharacters  string
	ExcludeLowercase   bool
	ExcludeNumbers     bool
	ExcludePunctuation bool
	ExcludeUppercase   bool
	IncludeSpace       bool
	// RequireEachIncludedType [true]: at least one character of each
	// class not excluded (letters of each case, digits, punctuation).
	RequireEachIncludedType *bool
	// SecretStringTemplate (a JSON object) and GenerateStringKey, given
	// together: the value is the template with the password at that key.
	SecretStringTemplate, GenerateStringKey string
}

// Value generates a secret's value as Secrets Manager does, from a
// cryptographic random source. Settings that leave nothing to draw from,
// or fewer characters than the classes required, are an error naming
// them.
func (g Generate) Value() (string, error) {
	if (g.SecretStringTemplate == "") != (g.GenerateStringKey == "") {
		return "", errors.New("GenerateSecretString: SecretStringTemplate and GenerateStringKey go together")
	}
	n := 32
	if g.PasswordLength != nil {
		n = *g.PasswordLength
	}
	if n < 1 || n > 4096 {
		return "", fmt.Errorf("GenerateSecretString: PasswordLength %d: want 1 to 4096", n)
	}
	pw, err := g.password(n)
	if err != nil || g.GenerateStringKey == "" {
		return pw, err
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(g.SecretStringTemplate), &doc); err != nil || doc == nil {
		return "", errors.New("GenerateSecretString: SecretStringTemplate is not a JSON object")
	}
	doc[g.GenerateStringKey] = pw
	b, err := json.Marshal(doc)
	return string(b), err
}

func (g Generate) password(n int) (string, error) {
	var classes []string
	for _, c := range []struct {
		chars    string
		excluded bool
	}{{upper, g.ExcludeUppercase}, {lower, g.ExcludeLowercase}, {digits, g.ExcludeNumbers}, {punctuation, g.ExcludePunctuation}} {
		if kept := without(c.chars, g.ExcludeCharacters); !c.excluded && kept != "" {
			classes = append(classes, kept)
		}
	}
	pool := strings.Join(classes, "")
	if g.IncludeSpace && !strings.Contains(g.ExcludeCharacters, " ") {
		pool += " "
	}
	if pool == "" {
		return "", errors.New("GenerateSecretString: every character is excluded")
	}
	var out []byte
	if g.RequireEachIncludedType == nil || *g.RequireEachIncludedType {
		if n < len(classes) {
			return "", fmt.Errorf("GenerateSecretString: PasswordLength %d is shorter than the %d character types required (RequireEachIncludedType)", n, len(classes))
		}
		for _, c := range classes {
			out = append(out, pick(c, 1)...)
		}
	}
	out = append(out, pick(pool, n-len(out))...)
	// Shuffle, so that the required characters are anywhere.
	for i := len(out) - 1; i > 0; i-- {
		j := randInt(i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out), nil
}

// without is chars less every character of excluded.
func without(chars, excluded string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(excluded, r) {
			return -1
		}
		return r
	}, chars)
}

// pick draws n characters of chars (ASCII) uniformly.
func pick(chars string, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = chars[randInt(len(chars))]
	}
	return out
}

func randInt(n int) int {
	// crypto/rand.Reader never returns an error (Go 1.24 and later).
	v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
	return int(v.Int64())
}
