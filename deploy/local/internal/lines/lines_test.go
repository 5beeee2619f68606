package lines_test

import (
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/internal/lines"
)

func TestPrefixer(t *testing.T) {
	var out strings.Builder
	p := &lines.Prefixer{Prefix: "[fn] ", W: &out}
	for _, s := range []string{"one\ntw", "o\n", "three"} {
		if _, err := p.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != "[fn] one\n[fn] two\n" {
		t.Fatalf("%q: want whole lines only, the unfinished one held back", out.String())
	}
}

func TestPrefixerKeeps(t *testing.T) {
	var out strings.Builder
	p := &lines.Prefixer{Prefix: "[fn] ", W: &out, Keep: func(l []byte) bool { return !strings.HasPrefix(string(l), "drop") }}
	if _, err := p.Write([]byte("one\ndrop me\ntwo\n")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "[fn] one\n[fn] two\n" {
		t.Fatalf("%q: want the lines Keep keeps", out.String())
	}
}
