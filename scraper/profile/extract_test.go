package profile_test

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/scraper/profile"
)

// extractOne parses a one-field profile and returns the value it reads from
// <div class="v">text</div>, or nil when the field is unknown.
func extractOne(t *testing.T, field, spec, text string) any {
	t.Helper()
	p, err := profile.Parse([]byte(`{"name": "t", "item": "li", "nulls": ["—"], "fields": {"title": {"selector": "b"}, ` +
		`"` + field + `": ` + spec + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	return extract(t, p, `<ul><li><b>T</b><div class="v" data-v="`+text+`">`+text+`</div></li></ul>`, "https://example.com/").Movies[0][field]
}

func extract(t *testing.T, p *profile.Profile, html, base string) profile.Page {
	t.Helper()
	u, _ := url.Parse(base)
	doc, err := profile.ReadDocument(strings.NewReader(html), u)
	if err != nil {
		t.Fatal(err)
	}
	page, err := p.Extract(doc)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// Each type converts the trimmed text (white space collapsed); a value that
// does not convert is kept as its text, so that the contract rejects the
// record and names the field.
func TestFieldTypes(t *testing.T) {
	tests := []struct {
		name, field, spec, text string
		want                    any
	}{
		{"string is the default", "director", `{"selector": ".v"}`, "  Ridley \n Scott ", "Ridley Scott"},
		{"attr instead of text", "director", `{"selector": ".v", "attr": "data-v"}`, "Ridley", "Ridley"},
		{"integer", "year", `{"selector": ".v", "type": "integer"}`, "1979", int64(1979)},
		{"integer with strip", "usGross", `{"selector": ".v", "type": "integer", "strip": "$,"}`, "$78,900,000", int64(78900000)},
		{"strip removes its characters anywhere", "runtimeMinutes", `{"selector": ".v", "type": "integer", "strip": " min"}`, "117 min", int64(117)},
		{"integer that does not convert", "year", `{"selector": ".v", "type": "integer"}`, "1979?", "1979?"},
		{"integer refuses a decimal point", "year", `{"selector": ".v", "type": "integer"}`, "1979.0", "1979.0"},
		{"number", "imdbRating", `{"selector": ".v", "type": "number"}`, "8.5", 8.5},
		{"number that does not convert", "imdbRating", `{"selector": ".v", "type": "number"}`, "8,5", "8,5"},
		{"date, first layout", "releaseDate", `{"selector": ".v", "type": "date", "layouts": ["2006-01-02", "2 Jan 2006"]}`, "1979-05-25", "1979-05-25"},
		{"date, later layout", "releaseDate", `{"selector": ".v", "type": "date", "layouts": ["2006-01-02", "2 Jan 2006"]}`, "25 May 1979", "1979-05-25"},
		{"date without a day", "releaseDate", `{"selector": ".v", "type": "date", "layouts": ["January 2006"]}`, "May 1979", "1979-05-01"},
		{"date that matches no layout", "releaseDate", `{"selector": ".v", "type": "date", "layouts": ["2006-01-02"]}`, "soon", "soon"},
		{"bool true", "adult", `{"selector": ".v", "type": "bool", "true": ["18+", "adults"], "false": ["all"]}`, "adults", true},
		{"bool false", "adult", `{"selector": ".v", "type": "bool", "true": ["18+"], "false": ["all", "teens"]}`, "teens", false},
		{"bool words are exact", "adult", `{"selector": ".v", "type": "bool", "true": ["18+"], "false": ["all"]}`, "All", "All"},
		{"list, trimmed, first of each kept", "genres", `{"selector": ".v", "type": "list", "separator": "/"}`, " Horror / Sci-Fi /Horror/ ", []string{"Horror", "Sci-Fi"}},
		{"list with nothing in it", "genres", `{"selector": ".v", "type": "list", "separator": ","}`, " , ,", nil},
		{"empty text", "director", `{"selector": ".v"}`, " ", ""},
		{"empty text as a null token", "director", `{"selector": ".v", "nulls": [""]}`, " ", nil},
		{"profile null token", "director", `{"selector": ".v"}`, "—", nil},
		{"null tokens match the collapsed text", "director", `{"selector": ".v", "nulls": ["not known"]}`, " not \n known ", nil},
		{"a field's nulls replace the profile's", "director", `{"selector": ".v", "nulls": ["unknown"]}`, "—", "—"},
		{"empty nulls: nothing is null", "director", `{"selector": ".v", "nulls": []}`, "—", "—"},
		{"null checked before conversion", "year", `{"selector": ".v", "type": "integer", "nulls": ["n/a"]}`, "n/a", nil},
		{"element missing", "director", `{"selector": ".absent"}`, "x", nil},
		{"attribute missing", "director", `{"selector": ".v", "attr": "data-absent"}`, "x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := extractOne(t, tt.field, tt.spec, tt.text); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.field, got, tt.want)
			}
		})
	}
}

// The next link is the first element on the page that matches next.selector,
// its attribute resolved against the page's URL, the fragment dropped; no
// match, no attribute or a URL that is not http(s) ends the crawl.
func TestNextLink(t *testing.T) {
	p, err := profile.Parse([]byte(`{"name": "t", "item": "li", "fields": {"title": {"selector": ""}},
		"next": {"selector": "a.next", "attr": "href"}}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, links, want string }{
		{"relative", `<a class="next" href="?page=3">`, "https://example.com/films/?page=3"},
		{"path", `<a class="next" href="../more/2">`, "https://example.com/more/2"},
		{"absolute, fragment dropped", `<a class="next" href="https://other.example/p2#top">`, "https://other.example/p2"},
		{"first match wins", `<a class="next" href="2"></a><a class="next" href="3">`, "https://example.com/films/2"},
		{"no match", `<a class="prev" href="1">`, ""},
		{"no attribute", `<a class="next">`, ""},
		{"empty", `<a class="next" href="  ">`, ""},
		{"not http", `<a class="next" href="javascript:more()">`, ""},
	}
	without, err := profile.Parse([]byte(`{"name": "t", "item": "li", "fields": {"title": {"selector": ""}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if page := extract(t, without, `<ul><li>A</li></ul><a class="next" href="2">`, "https://example.com/"); page.Next != "" {
		t.Errorf("a profile without next found %q", page.Next)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := extract(t, p, "<ul><li>A</li></ul>"+tt.links, "https://example.com/films/?page=2")
			if page.Next != tt.want {
				t.Errorf("Next = %q, want %q", page.Next, tt.want)
			}
		})
	}
}

// Detect runs every profile on the page and keeps the one whose items have a
// title most often; on a tie, the first in the list; when none finds an item
// with a title, ErrNoMatch names the profiles tried.
func TestDetect(t *testing.T) {
	mk := func(name, item string) *profile.Profile {
		p, err := profile.Parse([]byte(`{"name": "` + name + `", "item": "` + item + `", "fields": {"title": {"selector": "b"}}}`))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	rows, cards, other := mk("rows", "tr"), mk("cards", "div.card"), mk("other", "article")
	tests := []struct {
		name, page string
		profiles   []*profile.Profile
		want       string
	}{
		{"most titled items", `<table><tr><td><b>A</b></td></tr></table><div class="card"><b>B</b></div><div class="card"><b>C</b></div>`,
			[]*profile.Profile{rows, cards}, "cards"},
		{"items without a title do not count", `<table><tr><td><b>A</b></td></tr></table><div class="card"></div><div class="card"></div>`,
			[]*profile.Profile{cards, rows}, "rows"},
		{"a tie goes to the first", `<table><tr><td><b>A</b></td></tr></table><div class="card"><b>B</b></div>`,
			[]*profile.Profile{cards, rows}, "cards"},
		{"nothing matches", `<p>hello</p>`, []*profile.Profile{rows, other}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, _ := url.Parse("https://example.com/")
			doc, _ := profile.ReadDocument(strings.NewReader(tt.page), base)
			p, _, err := profile.Detect(doc, tt.profiles)
			switch {
			case tt.want == "" && (!errors.Is(err, profile.ErrNoMatch) || !strings.Contains(err.Error(), "tried rows, other")):
				t.Errorf("err = %v, want ErrNoMatch naming rows, other", err)
			case tt.want != "" && (err != nil || p.Name != tt.want):
				t.Errorf("Detect = %v, %v; want %s", p, err, tt.want)
			}
		})
	}
}

// Detection tries the built-in profiles in this order.
func TestBuiltinsOrder(t *testing.T) {
	var names []string
	for _, p := range profile.Builtins() {
		names = append(names, p.Name)
	}
	if want := []string{"catalogue", "workshop-table", "workshop-cards"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Builtins = %v, want %v", names, want)
	}
}
