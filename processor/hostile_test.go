package processor_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/internal/memstore"
)

// hostileRecords are versions of one stored film put straight on the
// stream, each of which must be parked for its reason and leave the film as
// it was. The batch reaches the stream at arrival.
var hostileRecords = []struct {
	name   string
	data   string
	reason processor.Reason
}{
	// Outside 1678–2262 the version in Unix nanoseconds would overflow: 1600
	// would overwrite the film and then pin it, 2999 would vanish as stale.
	{"scraped in 1600", hostile(`"scrapedAt":"1600-01-01T00:00:00Z"`), processor.ReasonInvalid},
	{"scraped in 2999", hostile(`"scrapedAt":"2999-01-01T00:00:00Z"`), processor.ReasonInvalid},
	// A producer whose clock runs days ahead would freeze the film until then.
	{"scraped after it arrived", hostile(`"scrapedAt":"2026-11-30T00:00:00Z"`), processor.ReasonClockSkew},
	// Not I-JSON: each reader would see another film.
	{"invalid UTF-8", hostile(`"title":"Bad ` + "\xff\xfe" + `"`), processor.ReasonUndecodable},
	{"lone surrogate", hostile(`"title":"Bad \ud800"`), processor.ReasonUndecodable},
	{"id given twice", hostile(`"id":"tt0000002"`), processor.ReasonUndecodable},
}

// hostile is a valid record of tt0000001 but for the member it adds or
// overrides (an id is added, so it appears twice).
func hostile(member string) string {
	fields := map[string]string{
		"schema": `"movie-record.v1"`, "title": `"Hostile"`, "sourceUrl": `"https://example.com/"`,
		"scrapedAt": `"2026-11-27T09:00:00Z"`, "runId": `"run-hostile"`,
	}
	name, _, _ := strings.Cut(strings.Trim(member, `"`), `"`)
	delete(fields, name)
	var b strings.Builder
	b.WriteString(`{"id":"tt0000001",` + member)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		fmt.Fprintf(&b, `,"%s":%s`, k, fields[k])
	}
	return b.String() + "}"
}

// Hostile versions of a stored film are parked, each for its reason; the
// film is unchanged, nothing else is stored, and a later honest scrape
// still replaces it.
func TestHostileRecordsAreParked(t *testing.T) {
	s := memstore.New()
	hostileRecordsAreParked(t, s, func(id string) string {
		doc, ok, _ := s.Movie(t.Context(), id)
		if !ok {
			return ""
		}
		var m struct{ Title string }
		_ = json.Unmarshal(doc, &m)
		return m.Title
	})
}

func TestDynamoHostileRecordsAreParked(t *testing.T) {
	store, c := dynamoStore(t, nil)
	hostileRecordsAreParked(t, store, func(id string) string { return storedTitle(t.Context(), t, c, store.MoviesTable, id) })
}

func hostileRecordsAreParked(t *testing.T, s processor.Store, title func(id string) string) {
	h, reports := newHandler(s)
	handleAll(t, h, event(1, record("tt0000001", "honest", scraped)))
	var datas [][]byte
	want := map[processor.Reason]int{}
	for _, r := range hostileRecords {
		datas = append(datas, []byte(r.data))
		want[r.reason]++
		if _, err := processor.Decode([]byte(r.data), 64<<10); r.reason == processor.ReasonClockSkew && err != nil {
			t.Fatalf("%s: the clock-skew record must be valid, got %v", r.name, err)
		}
	}
	handleAll(t, h, event(10, datas...))
	if r := (*reports)[1]; r.Stored != 0 || r.Stale != 0 || !maps.Equal(r.Parked, want) {
		t.Fatalf("report %+v; want parked %v", r, want)
	}
	if got := title("tt0000001"); got != "honest" {
		t.Fatalf("tt0000001 holds %q after the hostile records; want honest", got)
	}
	if got := title("tt0000002"); got != "" {
		t.Fatalf("tt0000002 holds %q; a record with two ids stored its second", got)
	}
	handleAll(t, h, event(100, record("tt0000001", "newer", scraped.Add(time.Hour))))
	if got := title("tt0000001"); got != "newer" {
		t.Fatalf("tt0000001 holds %q; want the later honest scrape", got)
	}
}
