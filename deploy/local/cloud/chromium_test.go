package cloud_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// chromium returns Debian's Chromium; make test installs it when missing.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: make test installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: make test installs it (apt-get install chromium)")
	return ""
}

func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.Command(bin, append(base, args...)...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("chromium did not finish in 60s")
	}
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return out
}

var rowRE = regexp.MustCompile(`class="row span" data-name="([^"]*)"`)

// checkTracePage opens the console's waterfall of one film's trace in
// headless Chromium, checks that every segment is drawn, and saves a
// screenshot (.moviepipe/screenshots/trace.png; docs/tracing.md shows a copy).
func checkTracePage(t *testing.T, root, console, traceID, movieID string) {
	bin := chromium(t)
	url := console + "/traces/" + traceID + "?movie=" + movieID
	dom := string(headless(t, bin, "--dump-dom", url))
	_, body := request(t, "GET", console+"/traces/"+traceID+".json", "", nil)
	var segs []xraylocal.Segment
	if err := json.Unmarshal([]byte(body), &segs); err != nil {
		t.Fatal(err)
	}
	want := xraylocal.Waterfall(xraylocal.Film(segs, movieID))
	drawn := rowRE.FindAllStringSubmatch(dom, -1)
	if len(drawn) != len(want) || len(want) < 6 {
		t.Fatalf("the page draws %d segments, the trace has %d", len(drawn), len(want))
	}
	for i, s := range want {
		if drawn[i][1] != s.Name {
			t.Errorf("row %d is %q, want %q", i, drawn[i][1], s.Name)
		}
	}
	for _, name := range []string{"PutRecords page", "Kinesis", "processor", "DynamoDB"} {
		if !strings.Contains(dom, name) {
			t.Errorf("the page does not show %s", name)
		}
	}
	shot := filepath.Join(root, ".moviepipe", "screenshots", "trace.png")
	_ = os.MkdirAll(filepath.Dir(shot), 0o755)
	headless(t, bin, "--window-size=1280,480", "--screenshot="+shot, url)
	if st, err := os.Stat(shot); err != nil || st.Size() < 5000 {
		t.Fatalf("screenshot: %v", err)
	}
}

var (
	pageGroupRE = regexp.MustCompile(`<details class="page" data-page="(\d+)"`)
	batchRE     = regexp.MustCompile(`<details class="batch" data-records="(\d+)"`)
	seriesRE    = regexp.MustCompile(`<div class="card series" data-name="([^"]*)" data-total="(\d+)"`)
	edgeRE      = regexp.MustCompile(`<g class="edge" data-from="([^"]*)" data-to="([^"]*)" data-count="(\d+)"`)
	errorRowRE  = regexp.MustCompile(`<tr class="error" data-reason="([^"]*)" data-stage="([^"]*)"`)
)

// checkConsolePages opens the console's service map, the run's page, its
// trace by page and the error table in headless Chromium at a laptop's
// width (1366 px), checks what each draws against the trace and the
// tables, and saves screenshots under .moviepipe/screenshots.
func checkConsolePages(t *testing.T, root, console, traceID, runID string, stored, parked int) {
	bin := chromium(t)
	_, body := request(t, "GET", console+"/traces/"+traceID+".json", "", nil)
	var segs []xraylocal.Segment
	if err := json.Unmarshal([]byte(body), &segs); err != nil {
		t.Fatal(err)
	}
	pages, records := 0, 0
	var walk func(s xraylocal.Segment) // a run continued asynchronously sends its pages nested in a segment
	walk = func(s xraylocal.Segment) {
		if strings.HasPrefix(s.Name, "GET page ") {
			pages++
		}
		if s.Name == "processor" {
			records++
		}
		for _, c := range s.Subsegments {
			walk(c)
		}
	}
	for _, s := range segs {
		walk(s)
	}
	defer func() { // what the pages were drawn from, to read when they were wrong
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(root, ".moviepipe", "screenshots", "trace.json"), []byte(body), 0o644)
		}
	}()
	dom := func(path string) string {
		return string(headless(t, bin, "--window-size=1366,900", "--dump-dom", console+path))
	}
	shot := func(name, path string, height int) {
		file := filepath.Join(root, ".moviepipe", "screenshots", name)
		_ = os.MkdirAll(filepath.Dir(file), 0o755)
		headless(t, bin, "--window-size=1366,"+strconv.Itoa(height), "--screenshot="+file, console+path)
		if st, err := os.Stat(file); err != nil || st.Size() < 5000 {
			t.Errorf("screenshot %s: %v", name, err)
		}
	}

	// The map: the stream carried every traced record to the processor.
	index := dom("/")
	edges := map[string]string{}
	for _, m := range edgeRE.FindAllStringSubmatch(index, -1) {
		edges[m[1]+" → "+m[2]] = m[3]
	}
	if got := edges["kinesis: → fn:processor"]; got == "" || records == 0 || atoi(t, got) < records {
		t.Errorf("the map's stream → processor edge carries %q records, the run's trace %d: %v", got, records, edges)
	}
	for _, text := range []string{"scraper λ", "Kinesis stream", "processor λ", "movies table", `href="/runs/` + traceID + `"`} {
		if !strings.Contains(index, text) {
			t.Errorf("the index does not show %s", text)
		}
	}
	shot("index.png", "/", 900)

	// The run, by its run id: its pages and records over time.
	run := dom("/runs/" + runID)
	totals := map[string]int{}
	for _, m := range seriesRE.FindAllStringSubmatch(run, -1) {
		totals[m[1]] = atoi(t, m[2])
	}
	if totals["pages fetched"] != pages || totals["records published"] != records || totals["records stored"] > records ||
		totals["records parked"] != parked || !strings.Contains(run, traceID) {
		t.Errorf("the run's page counts %v; its trace has %d pages, %d records; %d parked", totals, pages, records, parked)
	}
	if !strings.Contains(run, `<span id="stored">`+fmtThousands(stored)+`</span>`) {
		t.Errorf("the run's page does not show its %d stored films", stored)
	}
	shot("run.png", "/runs/"+runID, 900)

	// The trace, by page: one group per page, its records collapsed.
	trace := dom("/traces/" + traceID)
	batched := 0
	for _, m := range batchRE.FindAllStringSubmatch(trace, -1) {
		batched += atoi(t, m[1])
	}
	if n := len(pageGroupRE.FindAllString(trace, -1)); n != pages || batched != records {
		t.Errorf("the trace page groups %d pages and %d records, the trace has %d and %d", n, batched, pages, records)
	}
	shot("trace-pages.png", "/traces/"+traceID+"?page=1", 900)

	// The error table, filtered to the scraper's stage.
	errs := dom("/errors?stage=scrape")
	rows := errorRowRE.FindAllStringSubmatch(errs, -1)
	if len(rows) == 0 {
		t.Error("the error page filtered to the scrape stage shows no row")
	}
	for _, m := range rows {
		if m[2] != "scrape" {
			t.Errorf("/errors?stage=scrape shows a %s row", m[2])
		}
	}
	shot("errors.png", "/errors", 700)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// fmtThousands writes n as the console does: 3,200.
func fmtThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
