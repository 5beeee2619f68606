// Package memruns is an in-memory scraper.Runs with the runs table's
// semantics, for handler tests. It passes the same suite
// (internal/runstest) as the real adapter.
package memruns

import (
	"context"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/scraper"
)

// Runs keeps statuses and claims in memory.
type Runs struct {
	mu     sync.Mutex
	runs   map[string]scraper.RunRecord
	claims map[string]claim
}

type claim struct {
	scraper.KeyClaim
	until time.Time
}

// Save implements scraper.Runs.
func (r *Runs) Save(_ context.Context, rec scraper.RunRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = map[string]scraper.RunRecord{}
	}
	if old, ok := r.runs[rec.RunID]; !ok || (!old.State.Ended() && old.Hop <= rec.Hop) {
		rec.Errors = append([]string{}, rec.Errors...)
		r.runs[rec.RunID] = rec
	}
	return nil
}

// Begin implements scraper.Runs.
func (r *Runs) Begin(_ context.Context, rec scraper.RunRecord) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs == nil {
		r.runs = map[string]scraper.RunRecord{}
	}
	if old, ok := r.runs[rec.RunID]; ok && (old.State.Ended() || old.Hop >= rec.Hop) {
		return scraper.ErrHopBegun
	}
	rec.Errors = append([]string{}, rec.Errors...)
	r.runs[rec.RunID] = rec
	return nil
}

// Load implements scraper.Runs.
func (r *Runs) Load(_ context.Context, runID string) (scraper.RunRecord, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.runs[runID]
	if !ok {
		return scraper.RunRecord{}, scraper.ErrNoRun
	}
	return rec, nil
}

// Claim implements scraper.Runs, at the table's resolution of a second.
func (r *Runs) Claim(_ context.Context, c scraper.KeyClaim, until time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.claims == nil {
		r.claims = map[string]claim{}
	}
	if held, ok := r.claims[c.Key]; ok && held.until.Unix() >= time.Now().Unix() {
		return &scraper.KeyUsedError{Claim: held.KeyClaim}
	}
	r.claims[c.Key] = claim{c, until}
	return nil
}

// Unclaim implements scraper.Runs.
func (r *Runs) Unclaim(_ context.Context, key, run string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.claims[key].RunID == run {
		delete(r.claims, key)
	}
	return nil
}

// Pages keeps page memories in memory.
type Pages struct {
	mu    sync.Mutex
	pages map[string]scraper.PageMemory
}

// Recall implements scraper.Pages.
func (p *Pages) Recall(_ context.Context, url string) (scraper.PageMemory, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pages[url], nil
}

// Remember implements scraper.Pages.
func (p *Pages) Remember(_ context.Context, url string, m scraper.PageMemory) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pages == nil {
		p.pages = map[string]scraper.PageMemory{}
	}
	p.pages[url] = m
	return nil
}
