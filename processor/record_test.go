package processor_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
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
	for _, d := range decodeEdges {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := processor.Decode(data, 64<<10)
		if err == nil {
			if m.ID == "" || m.Title == "" {
				t.Fatalf("accepted a record without id or title: %q", data)
			}
			sameAsEncodingJSON(t, data, m)
			return
		}
		pe, ok := errors.AsType[*processor.ParkError](err)
		if !ok {
			t.Fatalf("error %v is not a ParkError", err)
		}
		// A record the contract accepts is read whenever encoding/json reads it.
		var want processor.Movie
		if pe.Reason == processor.ReasonInternal && json.Unmarshal(data, &want) == nil {
			t.Fatalf("Decode refused (%v) a record encoding/json reads: %q", pe, data)
		}
	})
}

// decodeEdges are valid records that Decode's one-pass reader leaves to
// encoding/json, or reads with care.
var decodeEdges = []string{
	recordHead + `}`,
	recordHead + `,"title":"Tom \u0026 Jerry \"live\""}`,
	recordHead + `,"year":1994.0,"runtimeMinutes":1.2e2}`,
	recordHead + `,"genres":["Drama","Crime"],"adult":false,"imdbRating":9.3,"rottenTomatoesRating":0}`,
	recordHead + `,"scrapedAt":"2026-11-26T10:30:00.5+01:00"}`,
	" \n" + recordHead + `,"runId":"second"}` + "\n",
	recordHead + ",\"director\":\"Jos\xe9\"}",
}

const recordHead = `{"schema":"movie-record.v1","id":"tt0111161","title":"T","sourceUrl":"http://s/","scrapedAt":"2026-11-26T09:30:00Z","runId":"r"`

// sameAsEncodingJSON fails unless m is what encoding/json reads from data.
func sameAsEncodingJSON(t *testing.T, data []byte, m processor.Movie) {
	t.Helper()
	var want processor.Movie
	err := json.Unmarshal(data, &want)
	if _, ok := errors.AsType[*time.ParseError](err); ok {
		return // a timestamp time.Time refuses: TestDecodeLowercaseTimestamp
	}
	if err != nil {
		t.Fatalf("Decode accepted what encoding/json refuses (%v): %q", err, data)
	}
	if !m.ScrapedAt.Equal(want.ScrapedAt) {
		t.Fatalf("scrapedAt %v, encoding/json reads %v", m.ScrapedAt, want.ScrapedAt)
	}
	m.ScrapedAt, want.ScrapedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("Decode reads\n%+v\nencoding/json reads\n%+v", m, want)
	}
}

// RFC 3339 (and so the contract) allows a lowercase t and z; time.Time does not.
func TestDecodeLowercaseTimestamp(t *testing.T) {
	m, err := processor.Decode([]byte(recordHead+`,"scrapedAt":"2026-11-26t09:30:00.25z"}`), 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 9, 30, 0, 250e6, time.UTC); !m.ScrapedAt.Equal(want) {
		t.Fatalf("scrapedAt %v, want %v", m.ScrapedAt, want)
	}
}

func TestDecodeReadsAsEncodingJSONDoes(t *testing.T) {
	_, valid := golden(t, "valid")
	for _, d := range valid {
		m, err := processor.Decode(d, 64<<10)
		if err != nil {
			t.Fatal(err)
		}
		sameAsEncodingJSON(t, d, m)
	}
	for _, d := range decodeEdges {
		m, err := processor.Decode([]byte(d), 64<<10)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		sameAsEncodingJSON(t, []byte(d), m)
	}
}
