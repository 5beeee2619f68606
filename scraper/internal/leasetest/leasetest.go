// Package leasetest is the suite every scraper.Lease passes: the DynamoDB
// lease against dynalite, and the in-memory fake.
package leasetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/scraper"
)

// Run runs the suite; newLease returns a free lease for each test.
func Run(t *testing.T, newLease func(t *testing.T) scraper.Lease) {
	t.Run("one run at a time", func(t *testing.T) { oneAtATime(t, newLease(t)) })
	t.Run("an expired lease is taken", func(t *testing.T) { expired(t, newLease(t)) })
	t.Run("renew and release", func(t *testing.T) { renewRelease(t, newLease(t)) })
	t.Run("concurrent requests: one wins", func(t *testing.T) { concurrent(t, newLease(t)) })
}

func later() time.Time { return time.Now().Add(time.Hour) }

func oneAtATime(t *testing.T, l scraper.Lease) {
	ctx := t.Context()
	if err := l.Acquire(ctx, "run-a", later()); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(ctx, "run-a", later()); err != nil {
		t.Fatalf("the holder again: %v", err)
	}
	err := l.Acquire(ctx, "run-b", later())
	var busy *scraper.BusyError
	if !errors.As(err, &busy) || busy.Run != "run-a" || busy.Until.Before(time.Now()) {
		t.Fatalf("a second run: %v", err)
	}
}

func expired(t *testing.T, l scraper.Lease) {
	ctx := t.Context()
	if err := l.Acquire(ctx, "run-a", time.Now().Add(-2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(ctx, "run-b", later()); err != nil {
		t.Fatalf("after run-a's lease expired: %v", err)
	}
	if err := l.Renew(ctx, "run-a", later()); !errors.Is(err, scraper.ErrLeaseLost) {
		t.Fatalf("run-a renewing a lease run-b took: %v", err)
	}
}

func renewRelease(t *testing.T, l scraper.Lease) {
	ctx := t.Context()
	if err := l.Acquire(ctx, "run-a", later()); err != nil {
		t.Fatal(err)
	}
	if err := l.Renew(ctx, "run-a", later()); err != nil {
		t.Fatalf("renew: %v", err)
	}
	if err := l.Release(ctx, "run-b"); err != nil {
		t.Fatalf("releasing another's lease: %v", err)
	}
	if err := l.Acquire(ctx, "run-b", later()); err == nil {
		t.Fatal("run-b's release freed run-a's lease")
	}
	if err := l.Release(ctx, "run-a"); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(ctx, "run-b", later()); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func concurrent(t *testing.T, l scraper.Lease) {
	var won, busy atomic.Int64
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			err := l.Acquire(t.Context(), fmt.Sprintf("run-%d", i), later())
			var b *scraper.BusyError
			switch {
			case err == nil:
				won.Add(1)
			case errors.As(err, &b):
				busy.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || busy.Load() != 11 {
		t.Fatalf("%d runs took the lease, %d were told it is busy; want 1 and 11", won.Load(), busy.Load())
	}
}
