package contracts

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// dfaPatterns are patterns that stress the table: unanchored searches,
// alternations, bounded repeats, case folding, and assertions it must
// refuse. The schemas' own are added by schemaPatterns.
var dfaPatterns = []string{
	`\S`, `a`, `ab|cd`, `a$`, `^$`, `$^`, `^`, `$`, `(?i)ab`, `a*`, `x[^a]y`, `.`, `(?s).`,
	`(a|ab)(c|bcd)(d*)`, `^a{2,3}$`, `a.*b$`, `\bx`, `(?m)^a`,
}

// schemaPatterns are the patterns of every schema file.
func schemaPatterns(t testing.TB) []string {
	var found []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				if s, ok := sub.(string); ok && k == "pattern" {
					found = append(found, s)
				}
				walk(sub)
			}
		case []any:
			for _, sub := range v {
				walk(sub)
			}
		}
	}
	entries, err := files.ReadDir("schemas")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := files.ReadFile("schemas/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		walk(doc)
	}
	if len(found) == 0 {
		t.Fatal("no patterns in the schemas")
	}
	return found
}

func TestDFAMatchesRegexp(t *testing.T) {
	alphabet := "atbm-v0f9x\n"
	for _, pat := range append(schemaPatterns(t), dfaPatterns...) {
		re := regexp.MustCompile(pat)
		d := newDFA(re)
		if d == nil {
			if strings.Contains(pat, `\b`) || strings.Contains(pat, `(?m)`) {
				continue // refused, as it must be
			}
			t.Errorf("%s: no table", pat)
			continue
		}
		// Every string over the alphabet up to 4 bytes, and the examples.
		var all func(prefix string)
		all = func(prefix string) {
			checkDFA(t, pat, re, d, prefix)
			if len(prefix) < 4 {
				for _, c := range alphabet {
					all(prefix + string(c))
				}
			}
		}
		all("")
		for _, s := range []string{"tt1234567", "mv-the-film-1999-0a1b2c3d", "mv-a-b-c-0a1b2c3d", "mv--0a1b2c3d",
			"https://example.com", "run-1", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
			"process#shard:1", "00012", " ", "ab", "abcd", "ax\ny", "abbb"} {
			checkDFA(t, pat, re, d, s)
		}
	}
}

func checkDFA(t *testing.T, pat string, re *regexp.Regexp, d *dfa, s string) {
	t.Helper()
	got, sure := d.match([]byte(s))
	if !sure {
		t.Errorf("%s: %q: not sure of an ASCII string", pat, s)
	} else if want := re.MatchString(s); got != want {
		t.Errorf("%s: %q: table says %v, regexp %v", pat, s, got, want)
	}
}

func TestDFAIsUnsureOfNonASCII(t *testing.T) {
	d := newDFA(regexp.MustCompile(`^[a-z]+$`))
	if _, sure := d.match([]byte("café")); sure {
		t.Error("sure of a non-ASCII string")
	}
}

func FuzzDFA(f *testing.F) {
	for _, p := range dfaPatterns {
		f.Add(p, "mv-the-film-1999-0a1b2c3d")
	}
	for _, p := range schemaPatterns(f) {
		f.Add(p, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		re, err := regexp.Compile(pat)
		if err != nil {
			return
		}
		d := newDFA(re)
		if d == nil {
			return
		}
		got, sure := d.match([]byte(s))
		if sure && got != re.MatchString(s) {
			t.Errorf("%q on %q: table says %v, regexp %v", pat, s, got, !got)
		}
	})
}
