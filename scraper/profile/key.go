package profile

import (
	"strings"

	"golang.org/x/net/html"
)

// key is what an element must have for a selector to match it: the tag and
// one class of the selector's rightmost compound ("dd.mpaa" → dd, mpaa;
// ".film-title a" → a; "[itemprop=name]" → nothing). It is necessary, not
// sufficient: cascadia still decides. Walking an item, each element is only
// tried against the fields whose key it has, instead of every field.
type key struct {
	tag, class string
}

// selectorKey reads the key of a selector; ok is false when it cannot tell
// (a group, an escape), and then the selector is tried on every element.
func selectorKey(sel string) (k key, ok bool) {
	if strings.ContainsAny(sel, `,\|`) {
		return key{}, false
	}
	// The rightmost compound starts after the last combinator outside
	// brackets, parentheses and quotes.
	start, depth, quote := 0, 0, byte(0)
	for i := 0; i < len(sel); i++ {
		switch c := sel[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '(':
			depth++
		case c == ']' || c == ')':
			depth--
		case depth == 0 && strings.IndexByte(" \t\n>+~", c) >= 0:
			start = i + 1
		}
	}
	compound := sel[start:]
	name := func(s string) string {
		end := 0
		for end < len(s) && (s[end] == '-' || s[end] == '_' || s[end] >= '0' && s[end] <= '9' ||
			s[end]|0x20 >= 'a' && s[end]|0x20 <= 'z' || s[end] >= 0x80) {
			end++
		}
		return s[:end]
	}
	k.tag = strings.ToLower(name(compound))
	if i := strings.IndexByte(compound, '.'); i >= 0 && !strings.ContainsAny(compound[:i], "[(:") {
		k.class = name(compound[i+1:])
	}
	return k, true
}

// has reports whether element n may match a selector of key k.
func (k key) has(n *html.Node) bool {
	if k.tag != "" && n.Data != k.tag {
		return false
	}
	if k.class == "" {
		return true
	}
	found := false
	eachClass(n, func(c string) { found = found || c == k.class })
	return found
}

// eachClass calls f with each class name of element n, split as cascadia
// splits them.
func eachClass(n *html.Node, f func(string)) {
	for _, a := range n.Attr {
		if a.Namespace != "" || a.Key != "class" {
			continue
		}
		v := a.Val
		for v != "" {
			i := strings.IndexAny(v, " \t\n\r\f")
			if i < 0 {
				f(v)
				return
			}
			if i > 0 {
				f(v[:i])
			}
			v = v[i+1:]
		}
		return
	}
}
