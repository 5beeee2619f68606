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
