// Package memstore is an in-memory queryapi.Store ordered like the DynamoDB
// year index (by id within a year) and paged like it, for handler tests. It
// passes the same conformance suite (internal/storetest) as the real adapter.
package memstore

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	queryapi "github.com/moviepipe/moviepipe/query-api"
)

// Store keeps movies in memory.
type Store struct {
	mu     sync.Mutex
	movies map[string]map[string]any
	// Err, when set, is returned by every read (an unavailable table).
	Err error
}

// New returns an empty store.
func New() *Store { return &Store{movies: map[string]map[string]any{}} }

// Seed stores movies.
func (s *Store) Seed(_ context.Context, movies []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range movies {
		s.movies[m["id"].(string)] = m
	}
}

// Movie implements queryapi.Store.
func (s *Store) Movie(_ context.Context, id string) (queryapi.Movie, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return nil, false, s.Err
	}
	m, ok := s.movies[id]
	if !ok {
		return nil, false, nil
	}
	b, err := json.Marshal(m)
	return b, true, err
}

// List implements queryapi.Store.
func (s *Store) List(_ context.Context, q queryapi.ListQuery) (queryapi.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Err != nil {
		return queryapi.Page{}, s.Err
	}
	var ids []string
	for id, m := range s.movies {
		if q.Year != nil && !hasYear(m, *q.Year) {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if q.After != nil {
		i, _ := slices.BinarySearch(ids, q.After.ID)
		if i < len(ids) && ids[i] == q.After.ID {
			i++
		}
		ids = ids[i:]
	}
	var page queryapi.Page
	for i, id := range ids {
		if i == q.Limit {
			last := ids[i-1]
			page.Next = &queryapi.Key{ID: last, Year: q.Year}
			break
		}
		b, err := json.Marshal(s.movies[id])
		if err != nil {
			return queryapi.Page{}, err
		}
		page.Movies = append(page.Movies, b)
	}
	return page, nil
}

func hasYear(m map[string]any, year int) bool {
	switch y := m["year"].(type) {
	case int:
		return y == year
	case float64:
		return int(y) == year
	}
	return false
}
