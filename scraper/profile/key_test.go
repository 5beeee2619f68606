package profile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

func TestSelectorKey(t *testing.T) {
	tests := []struct {
		sel  string
		want key
		ok   bool
	}{
		{"dd.mpaa", key{"dd", "mpaa"}, true},
		{".film-title [itemprop=name]", key{}, true},
		{"dd.release-date time", key{"time", ""}, true},
		{"table.movieTable > tbody > tr", key{"tr", ""}, true},
		{"div.movieRow.primaryTitle > p + p", key{"p", ""}, true},
		{"TD.startYear", key{"td", "startYear"}, true},
		{"a[href$='.html']", key{"a", ""}, true},
		{`li[title="a > b"].x`, key{"li", ""}, true},
		{"dd:not(.x).y", key{"dd", ""}, true},
		{"*.card", key{"", "card"}, true},
		{"h2, h3", key{}, false},
		{`.a\.b`, key{}, false},
		{"svg|rect", key{}, false},
	}
	for _, tt := range tests {
		got, ok := selectorKey(tt.sel)
		if got != tt.want || ok != tt.ok {
			t.Errorf("selectorKey(%q) = %+v, %v; want %+v, %v", tt.sel, got, ok, tt.want, tt.ok)
		}
	}
}

// The keyed walk finds, on every fixture, what trying every field on every
// element finds.
func TestMatchAsEveryFieldOnEveryElement(t *testing.T) {
	pages, _ := filepath.Glob("../testdata/pages/*.html")
	if len(pages) == 0 {
		t.Fatal("no fixture pages")
	}
	checked := 0
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		root, err := html.Parse(strings.NewReader(string(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range Builtins() {
			items := p.item.MatchAll(root)
			if got := findAll(root, p.item, p.itemKey, false); !slices.Equal(got, items) {
				t.Fatalf("%s, profile %s: findItems found %d items, cascadia %d", filepath.Base(page), p.Name, len(got), len(items))
			}
			if p.Next != nil {
				want := p.next.MatchFirst(root)
				got := findAll(root, p.next, p.nextKey, true)
				if want != nil && (len(got) != 1 || got[0] != want) || want == nil && len(got) != 0 {
					t.Fatalf("%s, profile %s: next link %v, want %v", filepath.Base(page), p.Name, got, want)
				}
			}
			checked += len(items)
			for n, item := range items {
				got := make([]*html.Node, len(p.fields))
				p.match(item, got)
				for i, f := range p.fields {
					want := item
					if f.sel != nil {
						want = firstBelow(item, f.sel)
					}
					if got[i] != want {
						t.Fatalf("%s, profile %s, item %d, field %s: keyed walk found %v, want %v", filepath.Base(page), p.Name, n, f.name, got[i], want)
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d items checked", checked)
	}
}

func TestCollapse(t *testing.T) {
	for _, s := range []string{"", " ", "a", "a b", " a", "a ", "a  b", "a\tb", "a\u00a0b", "\n a \n b \n", "é ü", "a \u2003"} {
		if got, want := collapse(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("collapse(%q) = %q, want %q", s, got, want)
		}
	}
}

// firstBelow is the first descendant of n that sel matches, or nil: what a
// field's selector finds, by cascadia alone.
func firstBelow(n *html.Node, sel cascadia.Selector) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if m := sel.MatchFirst(c); m != nil {
			return m
		}
	}
	return nil
}
