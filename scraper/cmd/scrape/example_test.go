package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/contracts"
)

// exampleProfile is the worked example of docs/profiles.md.
const exampleProfile = "../../testdata/profiles/cinema-club.json"

// cinemaClub serves the example site: /films and /films?page=2.
func cinemaClub(t *testing.T) *httptest.Server {
	t.Helper()
	pages := map[string][]byte{}
	for _, n := range []string{"1", "2"} {
		page, err := os.ReadFile("../../testdata/pages/cinema-club-" + n + ".html")
		if err != nil {
			t.Fatal(err)
		}
		pages[n] = page
	}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, ok := pages[r.URL.Query().Get("page")]
		if r.URL.Path != "/films" || (!ok && r.URL.RawQuery != "") {
			http.NotFound(w, r)
			return
		}
		if !ok {
			page = pages["1"]
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	t.Cleanup(s.Close)
	return s
}

func loopbackEnv(k string) string {
	if k == "SCRAPE_ALLOWED_NETWORKS" {
		return "127.0.0.0/8"
	}
	return ""
}

// The worked example of docs/profiles.md: the CLI loads the profile from its
// file, follows the next link to the second page and prints the records that
// movie-record.v1 accepts, with every type of field converted, null tokens
// left out and the rejected film counted by reason.
func TestCLIRunsTheWorkedExampleProfile(t *testing.T) {
	site := cinemaClub(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-url", site.URL + "/films", "-profile", exampleProfile, "-max-pages", "5"}, loopbackEnv, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{
		"profile cinema-club: 2 pages, 4 movies parsed, 3 valid records, 1 rejected",
		"rejected    1 × /releaseDate format", "rejected    1 × /runtimeMinutes type",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("summary does not say %q:\n%s", want, stderr.String())
		}
	}
	got := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if err := contracts.Validate(contracts.MovieRecordV1, []byte(line)); err != nil {
			t.Errorf("%v: %s", err, line)
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"schema", "runId", "scrapedAt", "sourceUrl"} {
			delete(rec, k)
		}
		got[rec["title"].(string)] = rec
	}
	primerID, _ := got["Primer"]["id"].(string)
	if !strings.HasPrefix(primerID, "mv-primer-2004-") {
		t.Errorf("Primer's derived id = %q", primerID)
	}
	delete(got["Primer"], "id")
	want := map[string]map[string]any{
		"The Matrix": {"id": "tt0133093", "title": "The Matrix", "releaseDate": "1999-03-31", "year": 1999.0, "runtimeMinutes": 136.0,
			"genres": []any{"Action", "Sci-Fi"}, "director": "Lana Wachowski", "imdbRating": 8.7, "usGross": 171479930.0, "adult": false},
		"Primer": {"title": "Primer", "releaseDate": "2004-10-01", "year": 2004.0, "runtimeMinutes": 77.0, "genres": []any{"Sci-Fi"}, "adult": false},
		"Alien": {"id": "tt0078748", "title": "Alien", "releaseDate": "1979-05-25", "year": 1979.0, "runtimeMinutes": 117.0,
			"genres": []any{"Horror", "Sci-Fi"}, "director": "Ridley Scott", "imdbRating": 8.5, "usGross": 78900000.0, "adult": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records:\n%v\nwant\n%v", got, want)
	}
}

// Without -max-pages the CLI reads one page and counts the next link it did
// not follow.
func TestCLIReadsOnePageByDefault(t *testing.T) {
	site := cinemaClub(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-url", site.URL + "/films", "-profile", exampleProfile}, loopbackEnv, &stdout, &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "profile cinema-club: 1 pages, 3 movies parsed") ||
		!strings.Contains(stderr.String(), "refused     1 × page-limit") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

// Detection tries only the built-in profiles: a site with its own layout
// needs -profile (or SCRAPE_PROFILE), and the CLI says which it tried.
func TestCLIWithoutProfileNamesTheLayoutsTried(t *testing.T) {
	site := cinemaClub(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-url", site.URL + "/films"}, loopbackEnv, &stdout, &stderr)
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "no known layout matched: tried catalogue, workshop-table, workshop-cards") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout.String(), stderr.String())
	}
}

// A bad profile stops the CLI with exit status 2 and the
// key at fault named.
func TestCLIRefusesABadProfile(t *testing.T) {
	site := cinemaClub(t)
	var stdout, stderr bytes.Buffer
	bad := `{"name": "x", "item": "tr", "fields": {"title": {"selector": 5}}}`
	code := run(context.Background(), []string{"-url", site.URL + "/films", "-profile", bad}, loopbackEnv, &stdout, &stderr)
	if want := `SCRAPE_PROFILE: profile "x": fields.title: selector: got a JSON number, want a string`; code != 2 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("exit %d, stderr %s\nwant %s", code, stderr.String(), want)
	}
}

// docs/profiles.md shows the example profile exactly as the test runs it.
func TestGuideShowsTheExampleProfile(t *testing.T) {
	profile, err := os.ReadFile(exampleProfile)
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("../../../docs/profiles.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(guide, []byte("```json\n"+string(profile)+"```\n")) {
		t.Errorf("docs/profiles.md does not show %s verbatim in a json block", exampleProfile)
	}
}
