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

// consoleRun is what the console's pages are checked against: the run's
// trace as its JSON, counted, and what the tables hold.
type consoleRun struct {
	traceID, runID            string
	pages, fetched, records   int // in the trace: pages asked for, pages fetched, records
	stored, parked            int // in the tables
	console, root, bin, trace string
}

// checkConsolePages opens the console's service map, the run's page, its
// trace by page and the error table in headless Chromium at a laptop's
// width (1366 px), checks what each draws against the trace and the
// tables, and saves screenshots under .moviepipe/screenshots.
func checkConsolePages(t *testing.T, root, console, traceID, runID string, stored, parked int) {
	r := consoleRun{traceID: traceID, runID: runID, stored: stored, parked: parked, console: console, root: root, bin: chromium(t)}
	_, r.trace = request(t, "GET", console+"/traces/"+traceID+".json", "", nil)
	var segs []xraylocal.Segment
	if err := json.Unmarshal([]byte(r.trace), &segs); err != nil {
		t.Fatal(err)
	}
	pages, fetched := map[string]bool{}, map[string]bool{}
	var walk func(s xraylocal.Segment) // a run continued asynchronously sends its pages nested in a segment
	walk = func(s xraylocal.Segment) {
		// A page the API's budget cut short is fetched again by the next
		// invocation, under the same name.
		if strings.HasPrefix(s.Name, "GET page ") {
			pages[s.Name] = true
			fetched[s.Name] = fetched[s.Name] || (!s.Error && !s.Fault && !s.Throttle)
		}
		if s.Name == "processor" {
			r.records++
		}
		for _, c := range s.Subsegments {
			walk(c)
		}
	}
	for _, s := range segs {
		walk(s)
	}
	r.pages = len(pages)
	for _, ok := range fetched {
		if ok {
			r.fetched++
		}
	}
	defer func() { // what the pages were drawn from, to read when they were wrong
		if t.Failed() {
			_ = os.WriteFile(filepath.Join(root, ".moviepipe", "screenshots", "trace.json"), []byte(r.trace), 0o644)
		}
	}()
	r.checkMap(t)
	r.checkRun(t)
	r.checkTrace(t)
	r.checkErrors(t)
}

func (r consoleRun) dom(t *testing.T, path string) string {
	t.Helper()
	return string(headless(t, r.bin, "--window-size=1366,900", "--dump-dom", r.console+path))
}

func (r consoleRun) shot(t *testing.T, name, path string, height int) {
	t.Helper()
	file := filepath.Join(r.root, ".moviepipe", "screenshots", name)
	_ = os.MkdirAll(filepath.Dir(file), 0o755)
	headless(t, r.bin, "--window-size=1366,"+strconv.Itoa(height), "--screenshot="+file, r.console+path)
	if st, err := os.Stat(file); err != nil || st.Size() < 5000 {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// checkMap: the stream carried every traced record to the processor.
func (r consoleRun) checkMap(t *testing.T) {
	index := r.dom(t, "/")
	edges := map[string]string{}
	for _, m := range edgeRE.FindAllStringSubmatch(index, -1) {
		edges[m[1]+" → "+m[2]] = m[3]
	}
	if got := edges["kinesis: → fn:processor"]; got == "" || r.records == 0 || atoi(t, got) < r.records {
		t.Errorf("the map's stream → processor edge carries %q records, the run's trace %d: %v", got, r.records, edges)
	}
	for _, text := range []string{"scraper λ", "Kinesis stream", "processor λ", "movies table", `href="/runs/` + r.traceID + `"`} {
		if !strings.Contains(index, text) {
			t.Errorf("the index does not show %s", text)
		}
	}
	r.shot(t, "index.png", "/", 900)
}

// checkRun: the run, by its run id, counts its pages and records.
func (r consoleRun) checkRun(t *testing.T) {
	run := r.dom(t, "/runs/"+r.runID)
	totals := map[string]int{}
	for _, m := range seriesRE.FindAllStringSubmatch(run, -1) {
		totals[m[1]] = atoi(t, m[2])
	}
	if totals["pages fetched"] != r.fetched || totals["records published"] != r.records || totals["records stored"] > r.records ||
		totals["records parked"] != r.parked || !strings.Contains(run, r.traceID) {
		t.Errorf("the run's page counts %v; its trace has %d pages fetched, %d records; %d parked", totals, r.fetched, r.records, r.parked)
	}
	if !strings.Contains(run, `<span id="stored">`+fmtThousands(r.stored)+`</span>`) {
		t.Errorf("the run's page does not show its %d stored films", r.stored)
	}
	r.shot(t, "run.png", "/runs/"+r.runID, 900)
}

// checkTrace: one group per page, every record in a collapsed batch.
func (r consoleRun) checkTrace(t *testing.T) {
	trace := r.dom(t, "/traces/"+r.traceID)
	batched := 0
	for _, m := range batchRE.FindAllStringSubmatch(trace, -1) {
		batched += atoi(t, m[1])
	}
	if n := len(pageGroupRE.FindAllString(trace, -1)); n != r.pages || batched != r.records {
		t.Errorf("the trace page groups %d pages and %d records, the trace has %d and %d", n, batched, r.pages, r.records)
	}
	r.shot(t, "trace-pages.png", "/traces/"+r.traceID+"?page=1", 900)
}

// checkErrors: the error table, filtered to the scraper's stage.
func (r consoleRun) checkErrors(t *testing.T) {
	rows := errorRowRE.FindAllStringSubmatch(r.dom(t, "/errors?stage=scrape"), -1)
	if len(rows) == 0 {
		t.Error("the error page filtered to the scrape stage shows no row")
	}
	for _, m := range rows {
		if m[2] != "scrape" {
			t.Errorf("/errors?stage=scrape shows a %s row", m[2])
		}
	}
	r.shot(t, "errors.png", "/errors", 700)
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
