package cloud

import (
	"io"
	"log/slog"
	"testing"
)

// The account's Lambda concurrency is a new account's by default, and what
// -concurrency (Options.Concurrency) sets; below 1 is refused.
func TestAccountConcurrencySetting(t *testing.T) {
	for _, tc := range []struct{ set, want int }{{0, NewAccountConcurrency}, {1000, 1000}, {1, 1}} {
		c := &Cloud{opts: Options{Concurrency: tc.set}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		a, err := c.newAccount()
		if err != nil {
			t.Fatalf("Concurrency %d: %v", tc.set, err)
		}
		if a.Limit() != tc.want || a.Unreserved() != tc.want {
			t.Errorf("Concurrency %d: limit %d, unreserved %d; want %d", tc.set, a.Limit(), a.Unreserved(), tc.want)
		}
	}
	c := &Cloud{opts: Options{Concurrency: -1}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := c.newAccount(); err == nil {
		t.Error("Concurrency -1 accepted")
	}
}
