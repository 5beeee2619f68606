package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/contracts"
)

func fixtureSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	for _, name := range []string{"workshop-table", "workshop-cards", "catalogue"} {
		page, err := os.ReadFile("../../testdata/pages/" + name + ".html")
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc("/"+name, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		})
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func TestCLIPrintsValidRecordsForBothWorkshopLayouts(t *testing.T) {
	site := fixtureSite(t)
	env := func(k string) string {
		if k == "SCRAPE_ALLOWED_NETWORKS" {
			return "127.0.0.0/8"
		}
		return ""
	}
	for _, layout := range []string{"workshop-table", "workshop-cards"} {
		t.Run(layout, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), []string{"-url", site.URL + "/" + layout}, env, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			if len(lines) < 3 {
				t.Fatalf("%d records:\n%s", len(lines), stdout.String())
			}
			for _, l := range lines {
				if err := contracts.Validate(contracts.MovieRecordV1, []byte(l)); err != nil {
					t.Errorf("%v: %s", err, l)
				}
			}
			if !strings.Contains(stderr.String(), "profile "+layout+": 1 pages") {
				t.Errorf("summary: %s", stderr.String())
			}
		})
	}
}

func TestCLIRefusesLoopbackWithoutAllowance(t *testing.T) {
	site := fixtureSite(t)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-url", site.URL + "/workshop-table"}, func(string) string { return "" }, &stdout, &stderr)
	if code == 0 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "refused to connect to 127.0.0.1") ||
		!strings.Contains(stderr.String(), "refused     1 × ssrf-guard") {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout.String(), stderr.String())
	}
}

func TestCLIUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), nil, func(string) string { return "" }, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "SCRAPE_URL is required") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
