package profile_test

import (
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/scraper/profile"
)

// A profile that cannot be used is refused with an error that names the
// profile, the path of each key at fault and the problem; a profile with
// several problems reports each of them.
func TestParseErrorsNameTheFieldAndTheProblem(t *testing.T) {
	const title = `"title": {"selector": "td"}`
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"unknown top-level key", `{"name": "x", "item": "tr", "fields": {` + title + `}, "colour": 1}`,
			[]string{`profile "x"`, `unknown field "colour"`}},
		{"unknown key in a field", `{"name": "x", "item": "tr", "fields": {"title": {"selecter": "td"}}}`,
			[]string{`fields.title: `, `unknown field "selecter"`}},
		{"unknown key in a link", `{"name": "x", "item": "tr", "fields": {` + title + `}, "next": {"selector": "a", "href": "x"}}`,
			[]string{`next: json: unknown field "href"`}},
		{"wrong type in a field", `{"name": "x", "item": "tr", "fields": {"title": {"selector": 5}}}`,
			[]string{"fields.title: selector: got a JSON number, want a string"}},
		{"wrong type of list", `{"name": "x", "item": "tr", "fields": {` + title + `, "releaseDate": {"selector": "td", "type": "date", "layouts": "2006"}}}`,
			[]string{"fields.releaseDate: layouts: got a JSON string, want a list of strings"}},
		{"wrong type at the top", `{"name": "x", "item": "tr", "nulls": "—", "fields": {` + title + `}}`,
			[]string{"nulls: got a JSON string, want a list of strings"}},
		{"wrong type of link", `{"name": "x", "item": "tr", "fields": {` + title + `}, "next": "a"}`,
			[]string{"next: got a JSON string, want an object"}},
		{"wrong type in a link", `{"name": "x", "item": "tr", "fields": {` + title + `}, "detail": {"selector": "a", "attr": 1}}`,
			[]string{"detail: attr: got a JSON number, want a string"}},
		{"fields not an object", `{"name": "x", "item": "tr", "fields": ["title"]}`,
			[]string{"fields: got a JSON array, want an object of fields"}},
		{"every field's problems", `{"name": "x", "item": "tr", "fields": {"title": {"selector": 1}, "year": {"type": true}}}`,
			[]string{"fields.title: selector: got a JSON number", "fields.year: type: got a JSON bool"}},
		{"syntax error", "{\"name\": \"x\",\n  \"item\": \"tr\",,\n}", []string{"invalid JSON at line 2, column 16"}},
		{"truncated", `{"name": "x", "item": "tr"`, []string{"invalid JSON: the profile ends early"}},
		{"data after the profile", `{"name": "x", "item": "tr", "fields": {` + title + `}} {}`,
			[]string{"unexpected data after the profile's closing brace"}},
		{"missing name", `{"item": "tr", "fields": {` + title + `}}`, []string{"name: required"}},
		{"missing item", `{"name": "x", "fields": {` + title + `}}`, []string{"item: required"}},
		{"missing title", `{"name": "x", "item": "tr", "fields": {"year": {"selector": "td"}}}`, []string{"fields.title: required"}},
		{"bad item selector", `{"name": "x", "item": "div[", "fields": {` + title + `}}`, []string{`item: selector "div[": `}},
		{"bad field selector", `{"name": "x", "item": "tr", "fields": {"title": {"selector": "td:nth(x)"}}}`,
			[]string{`fields.title.selector "td:nth(x)": `}},
		{"bad next selector", `{"name": "x", "item": "tr", "fields": {` + title + `}, "next": {"selector": "a[", "attr": "href"}}`,
			[]string{`next.selector "a[": `}},
		{"next without attr", `{"name": "x", "item": "tr", "fields": {` + title + `}, "next": {"selector": "a"}}`, []string{"next.attr: required"}},
		{"detail without attr", `{"name": "x", "item": "tr", "fields": {` + title + `}, "detail": {"selector": "a"}}`, []string{"detail.attr: required"}},
		{"not a record field", `{"name": "x", "item": "tr", "fields": {` + title + `, "rating": {"selector": "td"}}}`,
			[]string{"fields.rating: not a movie-record.v1 field (want one of id, title,"}},
		{"unknown type", `{"name": "x", "item": "tr", "fields": {` + title + `, "year": {"selector": "td", "type": "decimal"}}}`,
			[]string{`fields.year.type: "decimal" is not one of string, integer, number, date, bool, list`}},
		{"date without layouts", `{"name": "x", "item": "tr", "fields": {` + title + `, "releaseDate": {"selector": "td", "type": "date"}}}`,
			[]string{"fields.releaseDate.layouts: required for a date"}},
		{"list without separator", `{"name": "x", "item": "tr", "fields": {` + title + `, "genres": {"selector": "td", "type": "list"}}}`,
			[]string{"fields.genres.separator: required for a list"}},
		{"bool without words", `{"name": "x", "item": "tr", "fields": {` + title + `, "adult": {"selector": "td", "type": "bool", "true": ["yes"]}}}`,
			[]string{"fields.adult.true, .false: both required for a bool"}},
		{"all problems at once", `{"name": "x", "item": "div[", "fields": {"rating": {"selector": "td"}, "genres": {"selector": "td", "type": "list"}}}`,
			[]string{`item: selector "div["`, "fields.title: required", "fields.rating: not a movie-record.v1 field", "fields.genres.separator: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := profile.Parse([]byte(tt.json))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", p)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}
