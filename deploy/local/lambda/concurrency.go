package lambda

import (
	"errors"
	"fmt"
	"sync"
)

// DefaultConcurrency is an account's concurrency limit in a Region when
// nothing else is said: Lambda's documented default quota ("Concurrent
// executions: 1,000",
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
// New accounts start lower ("New AWS accounts have reduced concurrency and
// memory quotas. AWS raises these quotas automatically based on your usage",
// same page): they have been seen with 10 since 2022, whose unreserved
// minimum of 10 leaves nothing to reserve. NewAccount(10) is such an account.
const DefaultConcurrency = 1000

// The Reason of a throttled invocation's TooManyRequestsException: a
// function at its reserved concurrency, or a function without one when the
// account's unreserved concurrency is all in use
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
const (
	ReasonReservedConcurrency = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccountConcurrency  = "ConcurrentInvocationLimitExceeded"
)

// ErrThrottled matches every throttled invocation (a *ThrottleError).
var ErrThrottled = errors.New("TooManyRequestsException: Rate Exceeded")

// ThrottleError is an invocation Lambda refused for concurrency: the Invoke
// API answers it with 429 TooManyRequestsException and its Reason, an
// asynchronous invocation goes back to the queue, an event source mapping
// retries the batch without counting an attempt. errors.Is(err,
// ErrThrottled) holds for it.
type ThrottleError struct{ Reason string }

func (e *ThrottleError) Error() string { return ErrThrottled.Error() + " (" + e.Reason + ")" }

// Is makes a *ThrottleError match ErrThrottled.
func (e *ThrottleError) Is(target error) bool { return target == ErrThrottled }

// Account is an account's Lambda concurrency in a Region: a limit on the
// invocations in flight across its functions. Reserved concurrency is carved
// out of it; the rest, the unreserved pool, is shared by the functions
// without a reservation. It is safe for concurrent use.
type Account struct {
	mu       sync.Mutex
	limit    int
	reserved int           // the functions' reserved concurrency, summed
	inUse    int           // unreserved invocations in flight
	freed    chan struct{} // closed, and replaced, when one ends
}

// NewAccount returns an account whose concurrency limit is limit.
func NewAccount(limit int) *Account {
	return &Account{limit: limit, freed: make(chan struct{})}
}

// Limit is the account's concurrency limit.
func (a *Account) Limit() int { return a.limit }

// Unreserved is the unreserved pool: the limit less every reservation
// (GetAccountSettings' UnreservedConcurrentExecutions).
func (a *Account) Unreserved() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit - a.reserved
}

// Reserve carves n out of the account for one function, as
// ReservedConcurrentExecutions does. Lambda keeps at least 100 unreserved
// ("You can reserve up to the Unreserved account concurrency value minus
// 100",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html),
// or the whole limit of an account below 100 (accounts of 10 and 50 are
// refused with "minimum value of [10]" and "[50]"); a reservation that goes
// below it fails with a *ReservationError, whose text is Lambda's
// InvalidParameterValueException message.
func (a *Account) Reserve(n int) error {
	if n < 0 {
		return fmt.Errorf("ReservedConcurrentExecutions %d: the minimum is 0", n)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	floor := min(100, a.limit)
	if a.limit-a.reserved-n < floor {
		return &ReservationError{Minimum: floor}
	}
	a.reserved += n
	return nil
}

// Release gives back a reservation of n, as deleting a function or its
// ReservedConcurrentExecutions does.
func (a *Account) Release(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reserved = max(0, a.reserved-n)
	close(a.freed)
	a.freed = make(chan struct{})
}

// ReservationError is Lambda's refusal of a reservation that would leave
// less than Minimum unreserved.
type ReservationError struct{ Minimum int }

func (e *ReservationError) Error() string {
	return fmt.Sprintf("InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", e.Minimum)
}

// take claims a place in the unreserved pool for one invocation.
func (a *Account) take() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.inUse >= a.limit-a.reserved {
		return false
	}
	a.inUse++
	return true
}

// give frees a place taken, waking whoever waits for one.
func (a *Account) give() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inUse--
	close(a.freed)
	a.freed = make(chan struct{})
}

// changed is closed when a place is next freed.
func (a *Account) changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.freed
}
