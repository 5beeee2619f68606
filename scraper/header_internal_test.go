package scraper

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/moviepipe/moviepipe/contracts"
)

func TestValidHeaderFollowsTheContract(t *testing.T) {
	const ok = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"
	for h, want := range map[string]string{
		ok: ok,
		"Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=?": "",
		"Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Sampled=1":                         "",
		"": "",
	} {
		if got := validHeader(h); got != want {
			t.Errorf("validHeader(%q) = %q, want %q", h, got, want)
		}
	}
}

// An unsampled record keeps the trace's root and parent, says Sampled=0,
// and is valid per movie-record.v1's traceHeader pattern.
func TestUnsampledKeepsTheTrace(t *testing.T) {
	const root = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;"
	for h, want := range map[string]string{
		root + "Sampled=1": root + "Sampled=0",
		root + "Sampled=0": root + "Sampled=0",
		"":                 "",
	} {
		if got := unsampled(h); got != want {
			t.Errorf("unsampled(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestTracedOnPage(t *testing.T) {
	for _, c := range []struct{ perPage, perRun, soFar, want int }{
		{2, 40, 0, 2}, {2, 40, 39, 1}, {2, 40, 40, 0}, {2, 40, 45, 0}, {0, 40, 0, 0},
	} {
		if got := tracedOnPage(c.perPage, c.perRun, c.soFar); got != c.want {
			t.Errorf("tracedOnPage(%d, %d, %d) = %d, want %d", c.perPage, c.perRun, c.soFar, got, c.want)
		}
	}
}

// A refused record over error-record.v1's payload limit is cut as the
// processor cuts one: on a rune, kept as text (it was base64 of a broken
// sequence before), and the entry is valid.
func TestErrorRecordCutsLikeEveryStage(t *testing.T) {
	data := []byte(`{"title": "` + strings.Repeat("é", 30000) + `"}`)
	e := newErrorRecord("run-1", 0, 0, Provenance{ScrapedAt: time.Now()}, Record{ID: "tt0111161", Data: data}, errors.New("too long"))
	if e.PayloadEncoding != "utf8" || !e.PayloadTruncated || e.PayloadBytes != len(data) || !utf8.ValidString(e.Payload) ||
		len(e.Payload) != contracts.ErrorRecordV1Limits().PayloadData-1 {
		t.Fatalf("payload %s truncated=%v, %d of %d bytes kept", e.PayloadEncoding, e.PayloadTruncated, len(e.Payload), e.PayloadBytes)
	}
	doc, _ := json.Marshal(e)
	if err := contracts.Validate(contracts.ErrorRecordV1, doc); err != nil {
		t.Fatal(err)
	}
}
