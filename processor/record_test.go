package processor_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/contracts/examples"
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
				path, keyword, _ := examples.Example{Name: names[i]}.Violation()
				found := false
				for _, v := range pe.Violations {
					found = found || v.InstancePath == path && v.Keyword == keyword
				}
				if !found {
					t.Fatalf("violations %+v do not name %s at %q", pe.Violations, keyword, path)
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

// Whatever the bytes, Decode reads a movie with an id and a title or parks
// them for a reason of the record's own: the contract admits nothing that
// encoding/json cannot read (ReasonInternal would say otherwise).
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
			if m.ID == "" || m.Title == "" || m.ScrapedAt.IsZero() {
				t.Fatalf("accepted a record without id, title or scrapedAt: %q", data)
			}
			return
		}
		pe, ok := errors.AsType[*processor.ParkError](err)
		if !ok {
			t.Fatalf("error %v is not a ParkError", err)
		}
		if pe.Reason == processor.ReasonInternal {
			t.Fatalf("the contract accepted what encoding/json cannot read (%v): %q", pe, data)
		}
	})
}

// decodeEdges are valid records that encoding/json reads with care: escapes,
// integers written as 57.0, a fraction of a second, white space around the
// record.
var decodeEdges = []string{
	recordHead + `}`,
	recordHead + `,"director":"Tom \u0026 Jerry \"live\""}`,
	recordHead + `,"year":1994.0,"runtimeMinutes":1.2e2}`,
	recordHead + `,"genres":["Drama","Crime"],"adult":false,"imdbRating":9.3,"rottenTomatoesRating":0}`,
	strings.Replace(recordHead, "09:30:00Z", "09:30:00.5Z", 1) + `}`,
	" \n" + recordHead + "}\n",
}

const recordHead = `{"schema":"movie-record.v1","id":"tt0111161","title":"T","sourceUrl":"http://s/","scrapedAt":"2026-11-26T09:30:00Z","runId":"r"`

func TestDecodeEdges(t *testing.T) {
	for _, d := range decodeEdges {
		m, err := processor.Decode([]byte(d), 64<<10)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if m.Title == "" || m.ScrapedAt.IsZero() {
			t.Fatalf("%s: read %+v", d, m)
		}
	}
	m, _ := processor.Decode([]byte(decodeEdges[1]), 64<<10)
	if *m.Director != `Tom & Jerry "live"` {
		t.Fatalf("director %q", *m.Director)
	}
	m, _ = processor.Decode([]byte(decodeEdges[2]), 64<<10)
	if *m.Year != 1994 || *m.RuntimeMinutes != 120 {
		t.Fatalf("year %d, runtime %d; want 1994, 120", *m.Year, *m.RuntimeMinutes)
	}
	m, _ = processor.Decode([]byte(decodeEdges[4]), 64<<10)
	if want := time.Date(2026, 11, 26, 9, 30, 0, 500e6, time.UTC); !m.ScrapedAt.Equal(want) {
		t.Fatalf("scrapedAt %v, want %v", m.ScrapedAt, want)
	}
}

// Every instant the contract admits is a version the movies table can
// order: the earliest and latest scrape times read back exactly.
func TestDecodeScrapeTimeBounds(t *testing.T) {
	for _, tc := range []struct {
		at   string
		want time.Time
	}{
		{"2000-01-01T00:00:00Z", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2099-12-31T23:59:59.999999999Z", time.Date(2099, 12, 31, 23, 59, 59, 999999999, time.UTC)},
	} {
		m, err := processor.Decode([]byte(strings.Replace(recordHead, "2026-11-26T09:30:00Z", tc.at, 1)+"}"), 64<<10)
		if err != nil {
			t.Fatalf("%s: %v", tc.at, err)
		}
		if !m.ScrapedAt.Equal(tc.want) || m.ScrapedAt.UnixNano() != tc.want.UnixNano() {
			t.Fatalf("%s: read %v (%d ns), want %v", tc.at, m.ScrapedAt, m.ScrapedAt.UnixNano(), tc.want)
		}
	}
}

// A record stamped more than the allowed skew after it reached the stream
// is refused with reason clock_skew; within the skew, or in the past, it is
// fine.
func TestCheckClock(t *testing.T) {
	arrived := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		ahead time.Duration
		ok    bool
	}{
		{-365 * 24 * time.Hour, true}, {0, true}, {5 * time.Minute, true},
		{5*time.Minute + time.Nanosecond, false}, {70 * 365 * 24 * time.Hour, false},
	} {
		m := processor.Movie{ScrapedAt: arrived.Add(tc.ahead)}
		err := processor.CheckClock(&m, arrived, 5*time.Minute)
		pe, parked := errors.AsType[*processor.ParkError](err)
		if parked == tc.ok || parked && (pe.Reason != processor.ReasonClockSkew || !strings.Contains(pe.Message, "clock skew")) {
			t.Errorf("%s ahead: err %v; want parked %v", tc.ahead, err, !tc.ok)
		}
	}
}
