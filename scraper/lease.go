package scraper

import (
	"context"
	"errors"
	"time"
)

// Lease keeps one scrape at a time, across the asynchronous invocations
// that continue a run: a run holds it until it ends or the lease expires
// (a crashed run frees it then). Lambda's reserved concurrency cannot do
// this on a new account, whose unreserved minimum leaves nothing to reserve
// (docs/deploy.md), and does not span a run's invocations anyway.
type Lease interface {
	// Acquire takes the lease for run until until. When another run holds
	// it, the error is a *BusyError naming that run.
	Acquire(ctx context.Context, run string, until time.Time) error
	// Renew extends run's lease to until; ErrLeaseLost when run does not
	// hold it any more.
	Renew(ctx context.Context, run string, until time.Time) error
	// Release frees run's lease; releasing a lease run does not hold does
	// nothing.
	Release(ctx context.Context, run string) error
}

// BusyError is the lease held by another run.
type BusyError struct {
	Run   string    // the run that holds it
	Until time.Time // when its lease ends unless renewed
}

func (e *BusyError) Error() string { return "a scrape is running: " + e.Run }

// ErrLeaseLost is a run whose lease expired and was taken by another.
var ErrLeaseLost = errors.New("the run's lease was lost")

// leaseFor is how long a run holds the lease without renewing it: longer
// than any one invocation (the function's timeout is 15 minutes at most).
const leaseFor = 20 * time.Minute
