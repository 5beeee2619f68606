// Package profile describes a web page layout as data and parses pages with
// it. A profile names the item selector, one selector per record field (text
// or attribute), how each value is converted, the null tokens, the next-page
// link and an optional detail link. Selectors are compiled once, when a
// profile is parsed, and run through goquery (FindMatcher, Text, Attr);
// goquery is used here and nowhere else.
package profile

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
)

// Profile is a page layout.
type Profile struct {
	Name        string           `json:"name"`
	Description string           `json:"description,omitempty"`
	Item        string           `json:"item"`
	Nulls       []string         `json:"nulls,omitempty"`
	Fields      map[string]Field `json:"fields"`
	Next        *Link            `json:"next,omitempty"`
	Detail      *Link            `json:"detail,omitempty"`

	// Compiled by Parse; goquery's FindMatcher takes the selectors.
	item   cascadia.Selector
	fields []compiledField
	next   cascadia.Selector
}

// Field says where a record field is on an item and how to read it.
type Field struct {
	// Selector finds the value inside the item; empty means the item itself.
	Selector string `json:"selector"`
	// Attr reads an attribute instead of the text.
	Attr string `json:"attr,omitempty"`
	// Type converts the trimmed text: string (default), integer, number,
	// date, bool or list.
	Type string `json:"type,omitempty"`
	// Layouts are the time layouts a date may have (Go reference time).
	Layouts []string `json:"layouts,omitempty"`
	// Separator splits a list.
	Separator string `json:"separator,omitempty"`
	// True and False are the words of a bool.
	True  []string `json:"true,omitempty"`
	False []string `json:"false,omitempty"`
	// Strip lists characters removed before a number is read ("$,%").
	Strip string `json:"strip,omitempty"`
	// Nulls replaces the profile's null tokens for this field.
	Nulls []string `json:"nulls,omitempty"`
}

// Link finds a URL on the page (Next) or on an item (Detail). A profile may
// name a detail link, and it is checked, but nothing follows it yet: the
// records come from list pages (one polite request a film would be the cost).
type Link struct {
	Selector string `json:"selector"`
	Attr     string `json:"attr"`
}

type compiledField struct {
	name string
	Field
	sel cascadia.Selector // nil: the item itself
}

// Fields is what a profile may fill: the movie fields of movie-record.v1.
var Fields = []string{
	"id", "title", "originalTitle", "adult", "year", "releaseDate", "runtimeMinutes", "genres",
	"majorGenre", "mpaaRating", "distributor", "sourceMaterial", "creativeType", "director",
	"rottenTomatoesRating", "imdbRating", "imdbVotes", "usGross", "worldwideGross", "productionBudget", "usDvdSales",
}

var types = []string{"", "string", "integer", "number", "date", "bool", "list"}

//go:embed builtin/*.json
var builtinFiles embed.FS

// Builtins returns the built-in profiles, in the order detection tries them.
func Builtins() []*Profile {
	var out []*Profile
	for _, name := range []string{"catalogue", "workshop-table", "workshop-cards"} {
		p, err := Builtin(name)
		if err != nil {
			panic(err) // the files are embedded and tested
		}
		out = append(out, p)
	}
	return out
}

// Builtin returns the built-in profile with the given name.
func Builtin(name string) (*Profile, error) {
	data, err := builtinFiles.ReadFile("builtin/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("no built-in profile %q (built in: catalogue, workshop-table, workshop-cards)", name)
	}
	return Parse(data)
}

// Load returns a profile from a built-in name, a JSON file path, or inline
// JSON (starting with "{").
func Load(spec string) (*Profile, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(spec, "{"):
		return Parse([]byte(spec))
	case strings.HasSuffix(spec, ".json") || strings.ContainsRune(spec, os.PathSeparator):
		data, err := os.ReadFile(spec)
		if err != nil {
			return nil, fmt.Errorf("read profile: %w", err)
		}
		return Parse(data)
	default:
		return Builtin(spec)
	}
}

// Parse reads a profile from JSON and checks it. Its error names the profile
// and, for every problem found, the path of the key at fault
// ("fields.year.type", "next.attr") and what is wrong with it.
func Parse(data []byte) (*Profile, error) {
	p, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	if err := p.compile(); err != nil {
		return nil, fmt.Errorf("profile %q: %w", p.Name, err)
	}
	return &p, nil
}

func (p *Profile) compile() error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name: required"))
	}
	var err error
	if p.Item == "" {
		errs = append(errs, errors.New("item: required"))
	} else if p.item, err = cascadia.Compile(p.Item); err != nil {
		errs = append(errs, fmt.Errorf("item: selector %q: %w", p.Item, err))
	}
	if _, ok := p.Fields["title"]; !ok {
		errs = append(errs, errors.New("fields.title: required"))
	}
	names := make([]string, 0, len(p.Fields))
	for name := range p.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		cf, err := compileField(name, p.Fields[name])
		errs = append(errs, err)
		p.fields = append(p.fields, cf)
	}
	for _, l := range []struct {
		key  string
		link *Link
		sel  *cascadia.Selector
	}{{"next", p.Next, &p.next}, {"detail", p.Detail, new(cascadia.Selector)}} { // Detail: checked only, see Link
		if l.link == nil {
			continue
		}
		if *l.sel, err = cascadia.Compile(l.link.Selector); err != nil {
			errs = append(errs, fmt.Errorf("%s.selector %q: %w", l.key, l.link.Selector, err))
		}
		if l.link.Attr == "" {
			errs = append(errs, fmt.Errorf("%s.attr: required", l.key))
		}
	}
	return errors.Join(errs...)
}

// compileField checks one field and compiles its selector, naming every
// problem.
func compileField(name string, f Field) (compiledField, error) {
	var errs []error
	if !slices.Contains(Fields, name) {
		errs = append(errs, fmt.Errorf("fields.%s: not a movie-record.v1 field (want one of %s)", name, strings.Join(Fields, ", ")))
	}
	if !slices.Contains(types, f.Type) {
		errs = append(errs, fmt.Errorf("fields.%s.type: %q is not one of string, integer, number, date, bool, list", name, f.Type))
	}
	if f.Type == "date" && len(f.Layouts) == 0 {
		errs = append(errs, fmt.Errorf("fields.%s.layouts: required for a date", name))
	}
	if f.Type == "list" && f.Separator == "" {
		errs = append(errs, fmt.Errorf("fields.%s.separator: required for a list", name))
	}
	if f.Type == "bool" && (len(f.True) == 0 || len(f.False) == 0) {
		errs = append(errs, fmt.Errorf("fields.%s.true, .false: both required for a bool", name))
	}
	cf := compiledField{name: name, Field: f}
	if f.Selector != "" {
		var err error
		if cf.sel, err = cascadia.Compile(f.Selector); err != nil {
			errs = append(errs, fmt.Errorf("fields.%s.selector %q: %w", name, f.Selector, err))
		}
	}
	return cf, errors.Join(errs...)
}

// Movie is one item's fields: string, int64, float64, bool or []string
// values, absent when unknown. A value that does not convert is kept as its
// text, so that contract validation names it.
type Movie map[string]any

// Page is what a profile finds on one page.
type Page struct {
	Movies []Movie
	// Next is the absolute URL of the next page, or "".
	Next string
}

// ErrNoMatch means the profile found no item on the page.
var ErrNoMatch = errors.New("no known layout matched")

// Document is a parsed page.
type Document struct {
	doc  *goquery.Document
	base *url.URL
}

// ReadDocument parses an HTML page fetched from base.
func ReadDocument(r io.Reader, base *url.URL) (*Document, error) {
	doc, err := goquery.NewDocumentFromReader(r)
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	return &Document{doc: doc, base: base}, nil
}

// Extract applies the profile to a page. It returns ErrNoMatch when no item
// matches.
func (p *Profile) Extract(d *Document) (Page, error) {
	var page Page
	items := d.doc.FindMatcher(p.item)
	if items.Length() == 0 {
		return page, fmt.Errorf("%w: profile %s found no %q", ErrNoMatch, p.Name, p.Item)
	}
	for _, item := range items.EachIter() {
		m := make(Movie, len(p.fields))
		for _, f := range p.fields {
			if v := p.value(item, f); v != nil {
				m[f.name] = v
			}
		}
		page.Movies = append(page.Movies, m)
	}
	if p.Next != nil {
		href, _ := d.doc.FindMatcher(p.next).First().Attr(p.Next.Attr)
		page.Next = d.resolve(href)
	}
	return page, nil
}

// Detect tries each profile and returns the one that finds the most items
// with a title.
func Detect(d *Document, profiles []*Profile) (*Profile, Page, error) {
	var best *Profile
	var bestPage Page
	bestScore := 0
	for _, p := range profiles {
		page, err := p.Extract(d)
		if err != nil {
			continue
		}
		score := 0
		for _, m := range page.Movies {
			if _, ok := m["title"]; ok {
				score++
			}
		}
		if score > bestScore {
			best, bestPage, bestScore = p, page, score
		}
	}
	if best == nil {
		names := make([]string, len(profiles))
		for i, p := range profiles {
			names[i] = p.Name
		}
		return nil, Page{}, fmt.Errorf("%w: tried %s", ErrNoMatch, strings.Join(names, ", "))
	}
	return best, bestPage, nil
}

func (d *Document) resolve(href string) string {
	href = strings.TrimSpace(href)
	if href == "" {
		return ""
	}
	u, err := d.base.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	u.Fragment = ""
	return u.String()
}

// value reads one field of an item: the text or attribute of the first
// element under the item that the field's selector matches (of the item
// itself without a selector), white space collapsed; nil means unknown.
func (p *Profile) value(item *goquery.Selection, f compiledField) any {
	found := item
	if f.sel != nil {
		found = item.FindMatcher(f.sel).First()
	}
	if found.Length() == 0 {
		return nil
	}
	var raw string
	if f.Attr == "" {
		raw = found.Text()
	} else {
		var ok bool
		if raw, ok = found.Attr(f.Attr); !ok {
			return nil
		}
	}
	text := strings.Join(strings.Fields(raw), " ")
	nulls := p.Nulls
	if f.Nulls != nil {
		nulls = f.Nulls
	}
	if slices.Contains(nulls, text) {
		return nil
	}
	return convert(f.Field, text)
}

// convert reads text as the field's type, or returns the text when it does
// not convert; nil for an empty list.
func convert(f Field, text string) any {
	clean := text
	if f.Strip != "" {
		clean = strings.Map(func(r rune) rune {
			if strings.ContainsRune(f.Strip, r) {
				return -1
			}
			return r
		}, text)
	}
	switch f.Type {
	case "integer":
		if n, err := strconv.ParseInt(clean, 10, 64); err == nil {
			return n
		}
	case "number":
		if x, err := strconv.ParseFloat(clean, 64); err == nil {
			return x
		}
	case "date":
		for _, layout := range f.Layouts {
			if t, err := time.Parse(layout, text); err == nil {
				return t.Format(time.DateOnly)
			}
		}
	case "bool":
		switch {
		case slices.Contains(f.True, text):
			return true
		case slices.Contains(f.False, text):
			return false
		}
	case "list":
		var out []string
		for _, part := range strings.Split(text, f.Separator) {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	default:
		return text
	}
	return text
}
