package scraper_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/contracts/examples"
	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/profile"
)

// asInput splits a golden record into what NewRecord takes: the movie fields
// a profile fills, with the Go types a profile gives (int64, float64, bool,
// string, []string), and the provenance the scraper adds. It reports false
// for a document NewRecord cannot write: bytes that are not one I-JSON value
// (encoding/json writes valid UTF-8 and each key once), not an object, a
// schema or provenance key missing or other than NewRecord always writes, or
// a scrapedAt that its clock formatting would not write as is.
func asInput(t *testing.T, data []byte) (profile.Movie, scraper.Provenance, bool) {
	t.Helper()
	if errors.Is(contracts.Validate(contracts.MovieRecordV1, data), contracts.ErrNotJSON) {
		return nil, scraper.Provenance{}, false
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil || doc["schema"] != string(contracts.MovieRecordV1) {
		return nil, scraper.Provenance{}, false
	}
	for _, k := range []string{"sourceUrl", "runId", "scrapedAt"} {
		if _, ok := doc[k]; !ok {
			return nil, scraper.Provenance{}, false
		}
	}
	var p scraper.Provenance
	p.SourceURL, _ = doc["sourceUrl"].(string)
	p.RunID, _ = doc["runId"].(string)
	p.TraceHeader, _ = doc["traceHeader"].(string)
	at, _ := doc["scrapedAt"].(string)
	var err error
	if p.ScrapedAt, err = time.Parse(time.RFC3339Nano, at); err != nil || p.ScrapedAt.UTC().Format(time.RFC3339Nano) != at {
		return nil, p, false
	}
	m := profile.Movie{}
	for k, v := range doc {
		switch k {
		case "schema", "sourceUrl", "runId", "traceHeader", "scrapedAt":
			continue
		}
		m[k] = goValue(v)
	}
	return m, p, true
}

func goValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]string, 0, len(v))
		for _, s := range v {
			str, ok := s.(string)
			if !ok {
				return v // not what a profile gives: kept for the contract to refuse
			}
			out = append(out, str)
		}
		return out
	}
	return v
}

// Contract test on the shared golden examples (contracts/examples), as the
// processor's and the query API's: NewRecord turns the fields of every valid
// example back into exactly that record.
func TestNewRecordRebuildsTheValidGoldenExamples(t *testing.T) {
	for _, e := range examples.Valid() {
		t.Run(e.Name, func(t *testing.T) {
			m, p, ok := asInput(t, e.Data)
			if !ok {
				t.Fatalf("a valid example the scraper cannot be given: %s", e.Data)
			}
			rec, err := scraper.NewRecord(m, p)
			if err != nil {
				t.Fatalf("NewRecord refused a valid example: %v", err)
			}
			var got, want any
			if err := json.Unmarshal(rec.Data, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(e.Data, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || rec.ID != want.(map[string]any)["id"] {
				t.Errorf("NewRecord = %s (id %s)\nwant %s", rec.Data, rec.ID, e.Data)
			}
		})
	}
}

// NewRecord refuses every invalid golden example it can be given, with the
// violation the example's name states. The others are documents it never
// writes (see asInput); fewer than half of the examples checked fails the
// test, so that the filter cannot quietly leave nothing to check.
func TestNewRecordRefusesTheInvalidGoldenExamples(t *testing.T) {
	checked := 0
	for _, e := range examples.Invalid() {
		m, p, ok := asInput(t, e.Data)
		if !ok {
			continue
		}
		checked++
		t.Run(e.Name, func(t *testing.T) {
			wantPath, keyword, _ := e.Violation()
			_, err := scraper.NewRecord(m, p)
			ve, ok := errors.AsType[*contracts.ValidationError](err)
			if !ok {
				t.Fatalf("want a *contracts.ValidationError, got %v", err)
			}
			for _, v := range ve.Violations {
				if v.InstancePath == wantPath && v.Keyword == keyword {
					return
				}
			}
			t.Errorf("want a %q violation at %q, got %+v", keyword, wantPath, ve.Violations)
		})
	}
	if checked < len(examples.Invalid())/2 {
		t.Errorf("only %d of %d invalid examples could be given to NewRecord", checked, len(examples.Invalid()))
	}
}
