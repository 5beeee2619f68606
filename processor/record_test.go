package processor_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/moviepipe/moviepipe/processor"
)

func TestDecodeGoldenValid(t *testing.T) {
	names, datas := golden(t, "valid")
	for i, d := range datas {
		m, err := processor.Decode(d, 64<<10)
		if err != nil {
			t.Errorf("%s: %v", names[i], err)
		}
		if m.ID == "" || m.Title == "" || m.ScrapedAt.IsZero() {
			t.Errorf("%s: decoded %+v", names[i], m)
		}
	}
}

// Every invalid golden record is parked with a reason that names the failure.
func TestDecodeGoldenInvalid(t *testing.T) {
	names, datas := golden(t, "invalid")
	for i, d := range datas {
		t.Run(names[i], func(t *testing.T) {
			_, err := processor.Decode(d, 64<<10)
			pe, ok := errors.AsType[*processor.ParkError](err)
			if !ok {
				t.Fatalf("want a ParkError, got %v", err)
			}
			parts := strings.Split(names[i], "--")
			switch parts[0] {
			case "undecodable":
				if pe.Reason != processor.ReasonUndecodable {
					t.Fatalf("reason %s, want undecodable", pe.Reason)
				}
			case "schema":
				if pe.Reason != processor.ReasonUnsupported {
					t.Fatalf("reason %s, want unsupported_schema", pe.Reason)
				}
			default:
				if pe.Reason != processor.ReasonInvalid {
					t.Fatalf("reason %s, want invalid_record", pe.Reason)
				}
				path := "/" + strings.ReplaceAll(parts[0], ".", "/")
				if parts[0] == "root" {
					path = ""
				}
				found := false
				for _, v := range pe.Violations {
					found = found || v.InstancePath == path && v.Keyword == parts[1]
				}
				if !found {
					t.Fatalf("violations %+v do not name %s at %q", pe.Violations, parts[1], path)
				}
			}
		})
	}
}

func TestDecodeOversized(t *testing.T) {
	_, err := processor.Decode(bytes.Repeat([]byte(" "), 2000), 1024)
	if pe, ok := errors.AsType[*processor.ParkError](err); !ok || pe.Reason != processor.ReasonOversized {
		t.Fatalf("want oversized, got %v", err)
	}
}

func TestNewPayload(t *testing.T) {
	tests := []struct {
		name          string
		data          []byte
		wantEncoding  string
		wantTruncated bool
	}{
		{"text", []byte(`{"id": "tt01`), "utf8", false},
		{"binary", []byte{0xff, 0xfe, 0x00}, "base64", false},
		{"long text cut on a rune", []byte(strings.Repeat("é", processor.MaxPayloadBytes)), "utf8", true},
		{"long binary", bytes.Repeat([]byte{0xff}, processor.MaxPayloadBytes+10), "base64", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := processor.NewPayload(tt.data)
			if p.Encoding != tt.wantEncoding || p.Truncated != tt.wantTruncated || p.Bytes != len(tt.data) {
				t.Fatalf("got %s truncated=%v bytes=%d", p.Encoding, p.Truncated, p.Bytes)
			}
			if p.Encoding == "utf8" && !utf8.ValidString(p.Text) {
				t.Fatal("payload text is not UTF-8")
			}
			if len(p.Text) > 64<<10 {
				t.Fatalf("payload is %d bytes", len(p.Text))
			}
		})
	}
}

func TestCompareSequence(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"9", "10", -1}, {"10", "9", 1}, {"0010", "10", 0}, {"49650000000000000000000000000001", "49650000000000000000000000000002", -1},
	}
	for _, tt := range tests {
		if got := processor.CompareSequence(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareSequence(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	_, valid := golden(f, "valid")
	_, invalid := golden(f, "invalid")
	for _, d := range append(valid, invalid...) {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := processor.Decode(data, 64<<10)
		if err == nil {
			if m.ID == "" || m.Title == "" {
				t.Fatalf("accepted a record without id or title: %q", data)
			}
			return
		}
		if _, ok := errors.AsType[*processor.ParkError](err); !ok {
			t.Fatalf("error %v is not a ParkError", err)
		}
	})
}
