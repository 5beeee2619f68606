package contracts_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moviepipe/moviepipe/contracts"
)

// The limits are error-record.v1's own, and a payload cut to them is
// valid: the most data, as text or base64, fits the schema.
func TestErrorRecordV1Limits(t *testing.T) {
	want := contracts.ErrorRecordLimits{Message: 1024, Violations: 50, ViolationPath: 512, ViolationMessage: 512, PayloadData: 48 << 10}
	if got := contracts.ErrorRecordV1Limits(); got != want {
		t.Fatalf("limits %+v, want %+v", got, want)
	}
	n := want.PayloadData
	tests := []struct {
		name          string
		data          []byte
		wantEncoding  string
		wantTruncated bool
		wantKept      int
	}{
		{"text", []byte(`{"id": "tt01`), "utf8", false, 12},
		{"binary", []byte{0xff, 0xfe, 0x00}, "base64", false, 3},
		{"long text cut on a rune", []byte("a" + strings.Repeat("é", n)), "utf8", true, n - 1},
		{"long binary", bytes.Repeat([]byte{0xff}, n+10), "base64", true, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := contracts.NewErrorPayload(tt.data)
			if p.Encoding != tt.wantEncoding || p.Truncated != tt.wantTruncated || p.Bytes != len(tt.data) {
				t.Fatalf("got %s truncated=%v bytes=%d", p.Encoding, p.Truncated, p.Bytes)
			}
			kept := len(p.Text)
			if p.Encoding == "base64" {
				kept = len(p.Text) / 4 * 3
			}
			if kept != tt.wantKept || (p.Encoding == "utf8" && !utf8.ValidString(p.Text)) {
				t.Fatalf("kept %d bytes, want %d (valid UTF-8: %v)", kept, tt.wantKept, utf8.ValidString(p.Text))
			}
			doc, _ := json.Marshal(map[string]any{"schema": "error-record.v1", "errorId": "process#s#1", "stage": "process", "reason": "oversized",
				"message": contracts.Clip(strings.Repeat("ü", 2000), want.Message), "payload": p.Text, "payloadEncoding": p.Encoding,
				"payloadBytes": p.Bytes, "payloadTruncated": p.Truncated, "occurredAt": "2026-12-03T06:00:00Z",
				"validationErrors": contracts.ErrorViolations(slices.Repeat([]contracts.Violation{{InstancePath: strings.Repeat("/x", 400), Keyword: "k", Message: strings.Repeat("m", 600)}}, 60))})
			if err := contracts.Validate(contracts.ErrorRecordV1, doc); err != nil {
				t.Fatalf("an entry cut to the limits: %v", err)
			}
		})
	}
}

// Clip cuts at a rune's start, never inside one, and keeps bytes that were
// not UTF-8 before the cut.
func TestClip(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},            // é is 2 bytes: not split
		{"a€b", 3, "a"},           // € is 3 bytes
		{"\xffabcd", 3, "\xffab"}, // an invalid byte before the cut stays
	} {
		if got := contracts.Clip(tt.s, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
