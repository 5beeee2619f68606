package site_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/site"
)

func newSite(t *testing.T) (*httptest.Server, []site.Film) {
	t.Helper()
	wd, _ := filepath.Abs(".")
	root, err := emulators.FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	films, err := site.Load(filepath.Join(root, "node_modules", "vega-datasets", "data", "movies.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(site.New(films, 100))
	t.Cleanup(s.Close)
	return s, films
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	filmRE = regexp.MustCompile(`<li class="film"`)
	nextRE = regexp.MustCompile(`<a rel="next" href="([^"]+)"`)
)

// Following the next links visits every film exactly once.
func TestListPagesCoverTheCatalogue(t *testing.T) {
	s, films := newSite(t)
	if len(films) != 3201 {
		t.Fatalf("%d films", len(films))
	}
	total, pages := 0, 0
	for url := s.URL + "/films"; url != ""; pages++ {
		code, body := get(t, url)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", url, code)
		}
		total += len(filmRE.FindAllString(body, -1))
		url = ""
		if m := nextRE.FindStringSubmatch(body); m != nil {
			url = s.URL + m[1]
		}
	}
	if total != 3201 || pages != 33 {
		t.Fatalf("%d films on %d pages", total, pages)
	}
}

func TestPages(t *testing.T) {
	s, films := newSite(t)
	for path, want := range map[string]string{
		"/robots.txt":             "User-agent: *",
		"/films/" + films[0].Slug: `<span itemprop="name">The Land Girls</span>`,
		"/films?page=1":           `<time datetime="1998-06-12">June 12, 1998</time>`,
		"/workshop/table":         `<td class="id">tt0111161</td>`,
		"/workshop/cards":         `<div class="movieRow primaryTitle"><p>Title</p><p>The Shawshank Redemption</p></div>`,
		"/workshop/table?all=1":   `<td class="primaryTitle">The Land Girls</td>`,
	} {
		code, body := get(t, s.URL+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want %q in the page", path, code, want)
		}
	}
	for _, path := range []string{"/films?page=0", "/films?page=34", "/films/nope", "/nope"} {
		if code, _ := get(t, s.URL+path); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
	// Nulls are an em dash; money is machine-readable.
	_, body := get(t, s.URL+"/films?page=1")
	if !strings.Contains(body, `<dd class="runtime">—</dd>`) || !strings.Contains(body, `data-usd="146083">$146,083</dd>`) {
		t.Error("page 1 does not show nulls as — or money with data-usd")
	}
}

// Every page carries a strong ETag of its content and answers a
// conditional request for it with 304 and no body, as RFC 9110 says; a
// stale ETag gets the page.
func TestConditionalRequests(t *testing.T) {
	s, _ := newSite(t)
	for _, path := range []string{"/films?page=1", "/films?page=2", "/workshop/table"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
			t.Fatalf("%s: ETag %q", path, etag)
		}
		for ifNoneMatch, want := range map[string]int{etag: http.StatusNotModified, `"stale"`: http.StatusOK, `W/` + etag: http.StatusNotModified} {
			req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
			req.Header.Set("If-None-Match", ifNoneMatch)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want || (want == http.StatusNotModified) != (len(b) == 0) {
				t.Errorf("%s If-None-Match %s: %d with %d bytes, want %d", path, ifNoneMatch, resp.StatusCode, len(b), want)
			}
		}
	}
}
