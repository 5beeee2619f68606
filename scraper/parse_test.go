package scraper_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var fixed = scraper.Provenance{
	ScrapedAt:   time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC),
	RunID:       "run-golden",
	TraceHeader: "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1",
}

// golden is what a fixture page yields: every record, valid or not, and the
// page's links.
type golden struct {
	Profile  string            `json:"profile"`
	Next     string            `json:"next"`
	Valid    []json.RawMessage `json:"valid"`
	Rejected []rejected        `json:"rejected"`
}

type rejected struct {
	ID         string                `json:"id"`
	Violations []contracts.Violation `json:"violations"`
}

func parseFixture(t *testing.T, name string) golden {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pages", name+".html"))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://movies.example.com/list?page=1")
	doc, err := profile.ReadDocument(bytes.NewReader(data), base)
	if err != nil {
		t.Fatal(err)
	}
	p, page, err := profile.Detect(doc, profile.Builtins())
	if err != nil {
		t.Fatal(err)
	}
	g := golden{Profile: p.Name, Next: page.Next}
	prov := fixed
	prov.SourceURL = base.String()
	for _, m := range page.Movies {
		rec, err := scraper.NewRecord(m, prov)
		if ve, ok := errors.AsType[*contracts.ValidationError](err); ok {
			g.Rejected = append(g.Rejected, rejected{ID: rec.ID, Violations: ve.Violations})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		g.Valid = append(g.Valid, rec.Data)
	}
	return g
}

// Each fixture page parses, with its layout detected, into exactly the
// records of its golden file (regenerate with -update after a reviewed change).
func TestGoldenPages(t *testing.T) {
	for _, name := range []string{"workshop-table", "workshop-cards", "catalogue"} {
		t.Run(name, func(t *testing.T) {
			g := parseFixture(t, name)
			if g.Profile != name {
				t.Fatalf("detected profile %s, want %s", g.Profile, name)
			}
			got, _ := json.MarshalIndent(g, "", "  ")
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				_ = os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(bytes.TrimSpace(want)) != string(got) {
				t.Errorf("%s parses to\n%s\nwant\n%s", name, got, want)
			}
		})
	}
}

// Contract test: every record a fixture yields either validates against
// movie-record.v1 or is rejected with the violations that say why.
func TestFixtureRecordsValidate(t *testing.T) {
	for _, name := range []string{"workshop-table", "workshop-cards", "catalogue"} {
		g := parseFixture(t, name)
		if len(g.Valid) == 0 {
			t.Fatalf("%s: no valid record", name)
		}
		for _, r := range g.Valid {
			if err := contracts.Validate(contracts.MovieRecordV1, r); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		for _, r := range g.Rejected {
			if len(r.Violations) == 0 {
				t.Errorf("%s: %s rejected without a reason", name, r.ID)
			}
		}
	}
}

func TestNoKnownLayout(t *testing.T) {
	base, _ := url.Parse("https://example.com/")
	doc, _ := profile.ReadDocument(strings.NewReader("<html><body><p>Hello</p></body></html>"), base)
	_, _, err := profile.Detect(doc, profile.Builtins())
	if !errors.Is(err, profile.ErrNoMatch) || !strings.Contains(err.Error(), "no known layout matched") {
		t.Fatalf("got %v", err)
	}
}

func TestDerivedID(t *testing.T) {
	tests := []struct {
		title    string
		year     int64
		wantSlug string
	}{
		{"The Land Girls", 1998, "mv-the-land-girls-1998-"},
		{"Le Fabuleux destin d'Amélie Poulain", 2001, "mv-le-fabuleux-destin-d-amelie-poulain-2001-"},
		{"千と千尋の神隠し", 2001, "mv-untitled-2001-"},
		{"Alien³", 1992, "mv-alien3-1992-"},
		{"The Calling", 0, "mv-the-calling-"},
	}
	for _, tt := range tests {
		id := scraper.DerivedID(tt.title, tt.year)
		if !strings.HasPrefix(id, tt.wantSlug) || len(id) != len(tt.wantSlug)+8 {
			t.Errorf("DerivedID(%q, %d) = %s, want %s<8 hex>", tt.title, tt.year, id, tt.wantSlug)
		}
		if again := scraper.DerivedID(tt.title, tt.year); again != id {
			t.Errorf("not stable: %s then %s", id, again)
		}
	}
	// Same slug, different titles or years: different ids.
	if scraper.DerivedID("Alien", 1979) == scraper.DerivedID("Alien!", 1979) ||
		scraper.DerivedID("Alien", 1979) == scraper.DerivedID("Alien", 1980) {
		t.Error("derived ids collide")
	}
	long := scraper.DerivedID(strings.Repeat("word ", 40), 2000)
	rec, err := scraper.NewRecord(profile.Movie{"title": strings.Repeat("word ", 40)}, scraper.Provenance{SourceURL: "https://e.com/", ScrapedAt: time.Now(), RunID: "r"})
	if err != nil || rec.ID == "" || len(long) > 96 {
		t.Fatalf("long title: id %s (%d bytes), %v", rec.ID, len(long), err)
	}
}

func TestLoadProfile(t *testing.T) {
	for _, spec := range []string{"catalogue", `{"name": "inline", "item": "li", "fields": {"title": {"selector": ""}}}`, "profile/builtin/workshop-cards.json"} {
		if p, err := profile.Load(spec); err != nil || p.Name == "" {
			t.Errorf("Load(%.30q): %v", spec, err)
		}
	}
	if _, err := profile.Load("nope"); err == nil {
		t.Error("unknown built-in accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"workshop-table", "workshop-cards", "catalogue"} {
		data, _ := os.ReadFile(filepath.Join("testdata", "pages", name+".html"))
		f.Add(data)
	}
	f.Add([]byte("<table class=movieTable><tbody><tr><td class=primaryTitle>\x00</td></tr>"))
	base, _ := url.Parse("https://example.com/a/b")
	f.Fuzz(func(t *testing.T, page []byte) {
		doc, err := profile.ReadDocument(bytes.NewReader(page), base)
		if err != nil {
			return
		}
		_, parsed, err := profile.Detect(doc, profile.Builtins())
		if err != nil {
			if !errors.Is(err, profile.ErrNoMatch) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		for _, m := range parsed.Movies {
			rec, err := scraper.NewRecord(m, scraper.Provenance{SourceURL: "https://example.com/", ScrapedAt: time.Now(), RunID: "run-1"})
			if err == nil {
				if verr := contracts.Validate(contracts.MovieRecordV1, rec.Data); verr != nil {
					t.Fatalf("record passed NewRecord but not the contract: %v", verr)
				}
			} else if _, ok := errors.AsType[*contracts.ValidationError](err); !ok {
				t.Fatalf("NewRecord: %v", err)
			}
		}
		if parsed.Next != "" && !strings.HasPrefix(parsed.Next, "http") {
			t.Fatalf("next %q is not absolute", parsed.Next)
		}
	})
}
