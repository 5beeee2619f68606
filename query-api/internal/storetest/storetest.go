// Package storetest is the conformance suite every queryapi.Store passes:
// the DynamoDB adapter against dynalite, and the in-memory fake.
package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/contracts/examples"
	queryapi "github.com/moviepipe/moviepipe/query-api"
)

// Subject is a store under test that can be filled with movies.
type Subject interface {
	queryapi.Store
	// Seed stores movies (movie.v1 fields) as the processor would.
	Seed(ctx context.Context, movies []map[string]any)
}

// Golden returns the contract's valid example records as movie.v1 resources,
// one per id (the last example of an id wins).
func Golden(t testing.TB) []map[string]any {
	t.Helper()
	list := examples.Valid()
	if len(list) == 0 {
		t.Fatal("no golden records in contracts/examples")
	}
	byID := map[string]map[string]any{}
	for _, e := range list {
		data := e.Data
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "schema")
		delete(m, "traceHeader")
		byID[m["id"].(string)] = m
	}
	var out []map[string]any
	for _, m := range byID {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return compare(a["id"].(string), b["id"].(string)) })
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Run runs the suite; newStore returns an empty store for each test.
func Run(t *testing.T, newStore func(t *testing.T) Subject) {
	t.Run("get", func(t *testing.T) {
		s := newStore(t)
		movies := Golden(t)
		s.Seed(t.Context(), movies)
		for _, want := range movies {
			got, ok, err := s.Movie(t.Context(), want["id"].(string))
			if err != nil || !ok {
				t.Fatalf("%s: %v %v", want["id"], ok, err)
			}
			if err := contracts.Validate(contracts.MovieV1, got); err != nil {
				t.Errorf("%s: %v", want["id"], err)
			}
			if !sameJSON(t, got, want) {
				t.Errorf("%s: got %s", want["id"], got)
			}
		}
		if _, ok, err := s.Movie(t.Context(), "tt0000000"); ok || err != nil {
			t.Errorf("unknown id: found %v, err %v", ok, err)
		}
	})
	t.Run("list every movie across pages", func(t *testing.T) {
		s := newStore(t)
		movies := Golden(t)
		s.Seed(t.Context(), movies)
		got := listAll(t, s, nil, 2)
		if len(got) != len(movies) {
			t.Fatalf("listed %d movies, want %d: %v", len(got), len(movies), got)
		}
	})
	t.Run("list by year across pages", func(t *testing.T) {
		s := newStore(t)
		var movies []map[string]any
		for i, id := range []string{"tt0000001", "tt0000002", "tt0000003", "tt0000004", "tt0000005"} {
			year := 1994
			if i == 4 {
				year = 1995
			}
			movies = append(movies, map[string]any{"id": id, "title": "M", "year": year,
				"sourceUrl": "https://example.com/", "scrapedAt": "2026-11-26T09:30:00Z", "runId": "run-1"})
		}
		movies = append(movies, map[string]any{"id": "tt0000006", "title": "undated", "sourceUrl": "https://example.com/", "scrapedAt": "2026-11-26T09:30:00Z", "runId": "run-1"})
		s.Seed(t.Context(), movies)
		y := 1994
		got := listAll(t, s, &y, 2)
		if !slices.Equal(got, []string{"tt0000001", "tt0000002", "tt0000003", "tt0000004"}) {
			t.Fatalf("year 1994 lists %v", got)
		}
		if all := listAll(t, s, nil, 4); len(all) != 6 {
			t.Fatalf("all movies: %v", all)
		}
	})
}

// listAll follows a listing to its end and returns the ids in order.
func listAll(t *testing.T, s queryapi.Store, year *int, limit int) []string {
	t.Helper()
	var ids []string
	q := queryapi.ListQuery{Limit: limit, Year: year}
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("listing does not end")
		}
		page, err := s.List(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Movies) > limit {
			t.Fatalf("page of %d movies, limit %d", len(page.Movies), limit)
		}
		for _, m := range page.Movies {
			var v struct{ ID string }
			_ = json.Unmarshal(m, &v)
			if slices.Contains(ids, v.ID) {
				t.Fatalf("%s listed twice", v.ID)
			}
			ids = append(ids, v.ID)
		}
		if page.Next == nil {
			return ids
		}
		q.After = page.Next
	}
}

func sameJSON(t *testing.T, got []byte, want map[string]any) bool {
	var g, w any
	b, _ := json.Marshal(want)
	_ = json.Unmarshal(b, &w)
	_ = json.Unmarshal(got, &g)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}
