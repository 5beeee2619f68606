package queryapi

import (
	"context"
	"time"
)

// DefaultStoreTimeout bounds a store call when Handler.StoreTimeout is unset.
const DefaultStoreTimeout = 3 * time.Second

// StoreMargin is kept free before the function's deadline: time to log and
// answer 503 before Lambda stops the function.
const StoreMargin = 500 * time.Millisecond

// StoreDeadline is when a store call started at now must end: timeout after
// now, and never later than StoreMargin before the function's deadline
// (fnDeadline, when it has one). A frozen store then ends in a 503 from this
// function, not in Lambda's timeout and API Gateway's bare 502.
func StoreDeadline(now, fnDeadline time.Time, hasDeadline bool, timeout time.Duration) time.Time {
	d := now.Add(timeout)
	if hasDeadline && fnDeadline.Add(-StoreMargin).Before(d) {
		d = fnDeadline.Add(-StoreMargin)
	}
	return d
}

// storeContext is ctx with the store call's deadline.
func (h *Handler) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	timeout := h.StoreTimeout
	if timeout <= 0 {
		timeout = DefaultStoreTimeout
	}
	fn, ok := ctx.Deadline()
	return context.WithDeadline(ctx, StoreDeadline(time.Now(), fn, ok, timeout))
}
