// Package storetest is the conformance suite every processor.Store passes:
// the DynamoDB adapter against dynalite, and the in-memory fake.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/contracts/examples"
	"github.com/moviepipe/moviepipe/processor"
)

// Subject is a store under test, with the reads the suite needs.
type Subject interface {
	processor.Store
	// Movie returns the stored movie as movie.v1 JSON.
	Movie(ctx context.Context, id string) ([]byte, bool, error)
	// ErrorRecord returns a stored error-table entry.
	ErrorRecord(ctx context.Context, errorID string) (processor.ErrorRecord, bool, error)
}

// Run runs the suite; newStore returns an empty store for each test.
func Run(t *testing.T, newStore func(t *testing.T) Subject) {
	t.Run("golden records read back as movie.v1", func(t *testing.T) { goldenReadBack(t, newStore(t)) })
	t.Run("versions", func(t *testing.T) { versions(t, newStore(t)) })
	t.Run("park is idempotent", func(t *testing.T) { park(t, newStore(t)) })
	t.Run("many ids: new, stale and newer movies", func(t *testing.T) { manyIDs(t, newStore(t)) })
	t.Run("concurrent writers of one id leave the newest", func(t *testing.T) { concurrentWriters(t, newStore(t)) })
}

func goldenReadBack(t *testing.T, s Subject) {
	ctx := t.Context()
	for i, e := range examples.Valid() {
		f, data := e.Name, e.Data
		m, err := processor.Decode(data, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m.ID = uniqueID(m.ID, i) // two golden records may share an id
		if written, err := s.PutMovie(ctx, &m, "100"); err != nil || !written {
			t.Fatalf("%s: PutMovie = %v, %v; want written", f, written, err)
		}
		got, ok, err := s.Movie(ctx, m.ID)
		if err != nil || !ok {
			t.Fatalf("%s: read back: %v %v", f, ok, err)
		}
		if err := contracts.Validate(contracts.MovieV1, got); err != nil {
			t.Errorf("%s: stored movie is not a movie.v1: %v\n%s", f, err, got)
		}
		var want, have map[string]any
		_ = json.Unmarshal(data, &want)
		_ = json.Unmarshal(got, &have)
		delete(want, "schema")
		delete(want, "traceHeader")
		want["id"] = m.ID
		if ts, ok := want["scrapedAt"].(string); ok {
			parsed, _ := time.Parse(time.RFC3339Nano, ts)
			want["scrapedAt"] = parsed.UTC().Format(time.RFC3339Nano)
		}
		if !reflect.DeepEqual(want, have) {
			t.Errorf("%s: read back\n%v\nwant\n%v", f, have, want)
		}
	}
}

func uniqueID(id string, i int) string {
	if len(id) > 2 && id[:2] == "tt" {
		return id[:len(id)-2] + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
	}
	return id[:len(id)-2] + string("0123456789abcdef"[i/16%16]) + string("0123456789abcdef"[i%16])
}

func movie(id string, scraped time.Time, title string) *processor.Movie {
	return &processor.Movie{ID: id, Title: title, SourceURL: "https://example.com/", ScrapedAt: scraped, RunID: "run-1"}
}

func versions(t *testing.T, s Subject) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		name        string
		m           *processor.Movie
		seq         string
		wantWritten bool
		wantTitle   string
	}{
		{"first version", movie("tt0000001", t0, "v1"), "20", true, "v1"},
		{"same record again", movie("tt0000001", t0, "v1"), "20", false, "v1"},
		{"older scrape, later in the stream", movie("tt0000001", t0.Add(-time.Second), "old"), "30", false, "v1"},
		{"same scrape, earlier in the stream", movie("tt0000001", t0, "earlier"), "19", false, "v1"},
		{"same scrape, later in the stream", movie("tt0000001", t0, "v2"), "100", true, "v2"},
		{"sequence compared as a number", movie("tt0000001", t0, "v3"), "99", false, "v2"},
		{"newer scrape, earlier in the stream", movie("tt0000001", t0.Add(time.Nanosecond), "v4"), "1", true, "v4"},
	}
	for _, st := range steps {
		written, err := s.PutMovie(ctx, st.m, st.seq)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if written != st.wantWritten {
			t.Errorf("%s: written = %v, want %v", st.name, written, st.wantWritten)
		}
		got, _, err := s.Movie(ctx, "tt0000001")
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Title string }
		_ = json.Unmarshal(got, &m)
		if m.Title != st.wantTitle {
			t.Errorf("%s: stored title %q, want %q", st.name, m.Title, st.wantTitle)
		}
	}
	if _, ok, _ := s.Movie(ctx, "tt0000002"); ok {
		t.Error("found a movie never written")
	}
}

func park(t *testing.T, s Subject) {
	ctx := t.Context()
	arrived := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	var rs []processor.ErrorRecord
	for i, raw := range []string{`{"id": "tt01`, "\xff\xfe binary", `{"schema":"movie-record.v1","id":"tt0111161","year":2500}`} {
		_, err := processor.Decode([]byte(raw), 1<<20)
		pe, _ := errors.AsType[*processor.ParkError](err)
		if pe == nil {
			t.Fatalf("record %d decoded", i)
		}
		rs = append(rs, processor.NewErrorRecord(processor.Parked{
			ParkError: pe, Payload: contracts.NewErrorPayload([]byte(raw)),
			ShardID: "shardId-000000000000", SequenceNumber: "4960000000000000000000000000000000000000000000000000000" + string(rune('0'+i)),
			RunID: "run-1", ArrivedAt: arrived,
		}, 24*time.Hour))
	}
	for round := range 2 {
		failed, err := s.Park(ctx, rs)
		if err != nil || len(failed) != 0 {
			t.Fatalf("round %d: Park = %v, %v", round, failed, err)
		}
	}
	for _, want := range rs {
		got, ok, err := s.ErrorRecord(ctx, want.ErrorID)
		if err != nil || !ok {
			t.Fatalf("%s not stored: %v", want.ErrorID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back\n%+v\nwant\n%+v", got, want)
		}
		doc, _ := json.Marshal(got)
		if err := contracts.Validate(contracts.ErrorRecordV1, doc); err != nil {
			t.Errorf("%s is not an error-record.v1: %v", want.ErrorID, err)
		}
	}
}

// manyIDs writes 60 movies, then each again: every third older, every
// third the same, every third newer.
func manyIDs(t *testing.T, s Subject) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	id := func(i int) string { return fmt.Sprintf("tt%07d", i) }
	for i := range 60 {
		if written, err := s.PutMovie(ctx, movie(id(i), t0, "v1"), "500"); err != nil || !written {
			t.Fatalf("first write of %d: %v, %v", i, written, err)
		}
	}
	for i := range 60 {
		m, seq := movie(id(i), t0.Add(-time.Hour), "older"), "900"
		switch i % 3 {
		case 1:
			m, seq = movie(id(i), t0, "v1"), "500"
		case 2:
			m, seq = movie(id(i), t0, "newer"), "600"
		}
		if written, err := s.PutMovie(ctx, m, seq); err != nil || written != (i%3 == 2) {
			t.Fatalf("second write of %d: %v, %v; want written %v", i, written, err, i%3 == 2)
		}
	}
	for i := range 60 {
		want := "v1"
		if i%3 == 2 {
			want = "newer"
		}
		if got := title(t, s, id(i)); got != want {
			t.Fatalf("movie %d: %q, want %q", i, got, want)
		}
	}
}

// concurrentWriters writes 40 versions of one id from 40 goroutines at
// once, in shuffled order, for several ids: the newest version is stored,
// and it is reported written.
func concurrentWriters(t *testing.T, s Subject) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	const versions = 40
	for round := range 5 {
		id := fmt.Sprintf("tt%07d", 100+round)
		order := rand.New(rand.NewPCG(uint64(round), 7)).Perm(versions)
		newestWritten := make(chan bool, 1)
		var wg sync.WaitGroup
		for _, v := range order {
			wg.Go(func() {
				// Versions differ by scrape time, and the last two only by sequence number.
				scraped, seq := t0.Add(time.Duration(min(v, versions-2))*time.Second), fmt.Sprint(1000+v)
				written, err := s.PutMovie(ctx, movie(id, scraped, fmt.Sprintf("v%d", v)), seq)
				if err != nil {
					t.Errorf("version %d: %v", v, err)
				}
				if v == versions-1 {
					newestWritten <- written
				}
			})
		}
		wg.Wait()
		if !<-newestWritten {
			t.Fatalf("round %d: the newest version was reported stale", round)
		}
		if got, want := title(t, s, id), fmt.Sprintf("v%d", versions-1); got != want {
			t.Fatalf("round %d: %s holds %q; want the newest, %q", round, id, got, want)
		}
	}
}

func title(t *testing.T, s Subject, id string) string {
	t.Helper()
	got, ok, err := s.Movie(t.Context(), id)
	if err != nil || !ok {
		t.Fatalf("movie %s: %v, %v", id, ok, err)
	}
	var m struct{ Title string }
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	return m.Title
}
