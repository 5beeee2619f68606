package cloud_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
