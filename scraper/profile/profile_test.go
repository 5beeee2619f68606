package profile_test

import (
	"reflect"
	"testing"

	"github.com/moviepipe/moviepipe/scraper/profile"
)

// A field reads the first element under its item, in document order, that
// its selector matches, or the item itself without a selector; a missing
// element or attribute, or a null token, leaves the field unknown.
func TestExtractReadsFirstMatchUnderEachItem(t *testing.T) {
	p, err := profile.Parse([]byte(`{"name": "t", "item": "li.film", "nulls": ["—"], "fields": {
		"title":      {"selector": "span.t"},
		"director":   {"selector": ""},
		"year":       {"selector": "span.t", "attr": "data-year", "type": "integer"},
		"mpaaRating": {"selector": "em"}},
		"next": {"selector": "a[rel=next]", "attr": "href"}}`))
	if err != nil {
		t.Fatal(err)
	}
	page := `<ul>
		<li class="film" data-id="1"><b><span class="t" data-year="1999">  The
			Matrix </span></b><span class="t">second</span><em>—</em></li>
		<li class="film"><span class="t">Alien</span></li>
	</ul><a rel="next" href="?page=2#top">next</a><a rel="next" href="?page=3">later</a>`
	got := extract(t, p, page, "https://example.com/films?page=1")
	want := profile.Page{
		Movies: []profile.Movie{
			{"title": "The Matrix", "director": "The Matrix second—", "year": int64(1999)},
			{"title": "Alien", "director": "Alien"},
		},
		Next: "https://example.com/films?page=2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Extract = %#v\nwant %#v", got, want)
	}
}
