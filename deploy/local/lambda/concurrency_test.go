package lambda_test

import (
	"context"
	"errors"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// Reserved concurrency is carved out of the account's as Lambda carves it:
// at least 100 stay unreserved, or the whole limit of an account under 100
// (a new account of 10 can reserve nothing), and a reservation past that is
// refused with Lambda's message.
func TestReservationsKeepTheUnreservedMinimum(t *testing.T) {
	for _, tc := range []struct {
		limit      int
		reserve    []int
		unreserved int
		refused    string // the last reservation's error
	}{
		{limit: 1000, reserve: []int{400, 500}, unreserved: 100},
		{limit: 1000, reserve: []int{900, 1}, unreserved: 100, refused: "[100]"},
		{limit: 150, reserve: []int{50, 0}, unreserved: 100},
		{limit: 150, reserve: []int{51}, unreserved: 150, refused: "[100]"},
		{limit: 10, reserve: []int{1}, unreserved: 10, refused: "[10]"},
		{limit: 50, reserve: []int{1}, unreserved: 50, refused: "[50]"},
	} {
		a := lambda.NewAccount(tc.limit)
		var err error
		for _, n := range tc.reserve {
			err = a.Reserve(n)
		}
		want := ""
		if tc.refused != "" {
			want = "InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of " + tc.refused + "."
		}
		if got := errText(err); got != want || a.Unreserved() != tc.unreserved {
			t.Errorf("account of %d reserving %v: %q and %d unreserved, want %q and %d", tc.limit, tc.reserve, got, a.Unreserved(), want, tc.unreserved)
		}
	}
	if err := lambda.NewAccount(1000).Reserve(-1); err == nil {
		t.Error("a negative reservation was accepted")
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A function is throttled at its reserved concurrency (0 throttles it
// always), and functions without one at the account's unreserved pool,
// which they share; a place freed is taken again.
func TestThrottleReasons(t *testing.T) {
	throttled := func(h *lambda.Host) string {
		_, err := h.Invoke(context.Background(), []byte(`{}`), "", false)
		var te *lambda.ThrottleError
		if !errors.As(err, &te) || !errors.Is(err, lambda.ErrThrottled) {
			return "not throttled: " + errText(err)
		}
		return te.Reason
	}
	zero := 0
	off, _, _ := newHost(t, func(c *lambda.Config) { c.Reserved = &zero })
	if got := throttled(off); got != lambda.ReasonReservedConcurrency {
		t.Errorf("reserved concurrency 0: %s", got)
	}
	reserved, _, _ := newHost(t, func(c *lambda.Config) { c.MaxEnvs = 2 })
	hold(t, reserved, 2)
	if got := throttled(reserved); got != lambda.ReasonReservedConcurrency {
		t.Errorf("at reserved concurrency 2: %s", got)
	}
	account := lambda.NewAccount(2)
	a, _, _ := newHost(t, func(c *lambda.Config) { c.Name, c.MaxEnvs, c.Account = "a", 0, account })
	b, _, _ := newHost(t, func(c *lambda.Config) { c.Name, c.MaxEnvs, c.Account = "b", 0, account })
	hold(t, a, 1)
	release := hold(t, b, 1)
	for _, h := range []*lambda.Host{a, b} {
		if got := throttled(h); got != lambda.ReasonAccountConcurrency {
			t.Errorf("%s with the account's 2 in use: %s", h.Name(), got)
		}
	}
	release()
	if res, err := a.Invoke(context.Background(), []byte(`{}`), "", false); err != nil || res.FunctionError != "" {
		t.Errorf("a place freed by b, taken by a: %v %s", err, res.Payload)
	}
}
