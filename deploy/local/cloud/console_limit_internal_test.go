package cloud

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// A trace past X-Ray's trace document size limit is marked LimitExceeded on
// its page and in /traces, with its size; a trace within it is not.
func TestConsoleShowsLimitExceeded(t *testing.T) {
	d, err := xraylocal.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const big, small = "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e", "1-6745a3c1-000000000000000000000001"
	pad, _ := json.Marshal(map[string]string{"pad": strings.Repeat("x", 60_000)})
	for i := range 10 { // 10 × ~60 KB: past 500 KB
		d.Put(xraylocal.Segment{ID: fmt.Sprintf("%016x", i+1), TraceID: big, Name: "processor", StartTime: 100, EndTime: 101, Annotations: pad})
	}
	d.Put(xraylocal.Segment{ID: "aaaaaaaaaaaaaaaa", TraceID: small, Name: "api/local", StartTime: 100, EndTime: 101})
	console := httptest.NewServer((&Cloud{xray: d}).console())
	defer console.Close()

	for id, want := range map[string]bool{big: true, small: false} {
		resp, err := http.Get(console.URL + "/traces/" + id)
		if err != nil {
			t.Fatal(err)
		}
		page := readAll(t, resp)
		if got := strings.Contains(page, "<strong>LimitExceeded</strong>"); got != want || !strings.Contains(page, "KB of 500 KB") {
			t.Errorf("trace %s: page marks LimitExceeded %v, want %v", id, got, want)
		}
	}
	resp, err := http.Get(console.URL + "/traces")
	if err != nil {
		t.Fatal(err)
	}
	var sums []xraylocal.Summary
	if err := json.Unmarshal([]byte(readAll(t, resp)), &sums); err != nil || len(sums) != 2 {
		t.Fatalf("/traces: %v %+v", err, sums)
	}
	for _, s := range sums {
		if s.LimitExceeded != (s.ID == big) || s.Bytes == 0 || s.Bytes > xraylocal.MaxTraceDocument {
			t.Errorf("/traces: %+v", s)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
