// Package memstore is an in-memory processor.Store with the semantics of the
// DynamoDB store, for handler tests. It passes the same conformance suite
// (internal/storetest) as the real adapter.
package memstore

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/processor"
)

// Store keeps movies and error records in maps.
type Store struct {
	mu     sync.Mutex
	movies map[string]version
	errors map[string]processor.ErrorRecord
	// FailPut, when set, decides per movie whether PutMovie fails with its
	// error (as a throttled or timed-out write would).
	FailPut func(m processor.Movie) error
	// FailPark, when set, decides per entry whether Park leaves it unwritten.
	FailPark func(r processor.ErrorRecord) error
}

type version struct {
	movie processor.Movie
	seq   string
}

// New returns an empty store.
func New() *Store {
	return &Store{movies: map[string]version{}, errors: map[string]processor.ErrorRecord{}}
}

// PutMovie implements processor.Store: the comparison and the write happen
// under one lock, as DynamoDB's conditional write is one step.
func (s *Store) PutMovie(ctx context.Context, mp *processor.Movie, seq string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m := *mp
	if s.FailPut != nil {
		if err := s.FailPut(m); err != nil {
			return false, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.movies[m.ID]
	if ok {
		c := m.ScrapedAt.Compare(cur.movie.ScrapedAt)
		if c < 0 || c == 0 && processor.CompareSequence(seq, cur.seq) <= 0 {
			return false, nil
		}
	}
	s.movies[m.ID] = version{movie: m, seq: seq}
	return true, nil
}

// Park implements processor.Store.
func (s *Store) Park(ctx context.Context, rs []processor.ErrorRecord) ([]processor.ErrorRecord, error) {
	if err := ctx.Err(); err != nil {
		return rs, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var failed []processor.ErrorRecord
	var last error
	for _, r := range rs {
		if s.FailPark != nil {
			if err := s.FailPark(r); err != nil {
				failed, last = append(failed, r), err
				continue
			}
		}
		s.errors[r.ErrorID] = r
	}
	return failed, last
}

// Movie returns the stored movie as movie.v1 JSON.
func (s *Store) Movie(_ context.Context, id string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.movies[id]
	if !ok {
		return nil, false, nil
	}
	m := v.movie
	m.Schema, m.TraceHeader = "", ""
	b, err := json.Marshal(resource{m, m.ScrapedAt.UTC().Format(time.RFC3339Nano)})
	return b, true, err
}

// resource is a Movie as movie.v1: no schema, no trace header.
type resource struct {
	processor.Movie
	ScrapedAt string `json:"scrapedAt"`
}

// ErrorRecord returns a stored error record.
func (s *Store) ErrorRecord(_ context.Context, errorID string) (processor.ErrorRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.errors[errorID]
	return r, ok, nil
}

// Counts returns how many movies and error records are stored.
func (s *Store) Counts() (movies, errors int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.movies), len(s.errors)
}
