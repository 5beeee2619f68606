// Package memlease is an in-memory scraper.Lease with the DynamoDB lease's
// semantics, for handler tests. It passes the same suite
// (internal/leasetest) as the real adapter.
package memlease

import (
	"context"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/scraper"
)

// Lease holds the lease in memory.
type Lease struct {
	// Now is the clock [time.Now].
	Now   func() time.Time
	mu    sync.Mutex
	run   string
	until time.Time
}

func (l *Lease) now() time.Time {
	if l.Now != nil {
		return l.Now().Truncate(time.Second)
	}
	return time.Now().Truncate(time.Second)
}

// Acquire implements scraper.Lease.
func (l *Lease) Acquire(_ context.Context, run string, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.run != "" && l.run != run && !l.until.Before(l.now()) {
		return &scraper.BusyError{Run: l.run, Until: l.until.Truncate(time.Second).UTC()}
	}
	l.run, l.until = run, until
	return nil
}

// Renew implements scraper.Lease.
func (l *Lease) Renew(_ context.Context, run string, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.run != run || l.until.Before(l.now()) {
		return scraper.ErrLeaseLost
	}
	l.until = until
	return nil
}

// Release implements scraper.Lease.
func (l *Lease) Release(_ context.Context, run string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.run == run {
		l.run = ""
	}
	return nil
}
