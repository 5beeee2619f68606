// Package runstest is the suite every scraper.Runs passes: the DynamoDB
// table against dynalite, and the in-memory fake.
package runstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper"
)

// Run runs the suite; newRuns returns an empty store for each test.
func Run(t *testing.T, newRuns func(t *testing.T) scraper.Runs) {
	t.Run("a saved status is loaded as saved", func(t *testing.T) { roundTrip(t, newRuns(t)) })
	t.Run("an unknown run", func(t *testing.T) { unknown(t, newRuns(t)) })
	t.Run("an ended run's status is final", func(t *testing.T) { final(t, newRuns(t)) })
	t.Run("each hop begins once, and an earlier hop writes nothing over a later one", func(t *testing.T) { hops(t, newRuns(t)) })
	t.Run("a key names the first run that claimed it", func(t *testing.T) { claimOnce(t, newRuns(t)) })
	t.Run("an expired claim is taken", func(t *testing.T) { expiredClaim(t, newRuns(t)) })
	t.Run("unclaim frees only its own run's claim", func(t *testing.T) { unclaim(t, newRuns(t)) })
	t.Run("concurrent claims: one wins", func(t *testing.T) { concurrentClaims(t, newRuns(t)) })
}

func status(run string, state scraper.RunState) scraper.RunRecord {
	start := time.Date(2026, 12, 3, 5, 30, 0, 0, time.UTC)
	r := scraper.RunRecord{Schema: string(contracts.RunV1), RunID: run, State: state, MaxPages: 10, Pages: 3, Published: 290,
		Rejected: 2, Parked: 3, StartedAt: start, UpdatedAt: time.Now().UTC(), TraceID: "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e", Errors: []string{}}
	if state.Ended() {
		end := r.UpdatedAt
		r.FinishedAt = &end
	}
	if state == scraper.StateFailed {
		r.ErrorCode, r.Errors = scraper.ErrorNoPages, []string{"the first page failed"}
	}
	return r
}

func same(t *testing.T, got, want scraper.RunRecord) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("loaded\n%s\nwant\n%s", g, w)
	}
	if err := contracts.Validate(contracts.RunV1, g); err != nil {
		t.Fatalf("loaded status is not a run.v1: %v", err)
	}
}

func roundTrip(t *testing.T, r scraper.Runs) {
	for _, st := range []scraper.RunState{scraper.StateRunning, scraper.StateContinued, scraper.StateFailed} {
		want := status("run-20261203T053000Z-0000000"+fmt.Sprint(len(st)%10), st)
		if err := r.Save(t.Context(), want); err != nil {
			t.Fatal(err)
		}
		got, err := r.Load(t.Context(), want.RunID)
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, want)
	}
}

func unknown(t *testing.T, r scraper.Runs) {
	if _, err := r.Load(t.Context(), "run-20261203T053000Z-ffffffff"); !errors.Is(err, scraper.ErrNoRun) {
		t.Fatalf("want ErrNoRun, got %v", err)
	}
}

func final(t *testing.T, r scraper.Runs) {
	const run = "run-20261203T053000Z-0a0a0a0a"
	if err := r.Save(t.Context(), status(run, scraper.StateContinued)); err != nil {
		t.Fatal(err)
	}
	done := status(run, scraper.StateSucceeded)
	if err := r.Save(t.Context(), done); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(t.Context(), status(run, scraper.StateContinued)); err != nil {
		t.Fatalf("a late write is not an error: %v", err)
	}
	got, err := r.Load(t.Context(), run)
	if err != nil {
		t.Fatal(err)
	}
	same(t, got, done)
}

func hops(t *testing.T, r scraper.Runs) {
	const run = "run-20261203T053000Z-0b0b0b0b"
	at := func(hop int, state scraper.RunState) scraper.RunRecord {
		rec := status(run, state)
		rec.Hop, rec.Pages = hop, 10*hop
		return rec
	}
	if err := r.Save(t.Context(), at(0, scraper.StateContinued)); err != nil {
		t.Fatal(err)
	}
	if err := r.Begin(t.Context(), at(1, scraper.StateContinued)); err != nil {
		t.Fatalf("hop 1 begins: %v", err)
	}
	if err := r.Begin(t.Context(), at(1, scraper.StateContinued)); !errors.Is(err, scraper.ErrHopBegun) {
		t.Fatalf("hop 1 again: want ErrHopBegun, got %v", err)
	}
	if err := r.Save(t.Context(), at(0, scraper.StateFailed)); err != nil {
		t.Fatalf("a late write is not an error: %v", err)
	}
	if got, _ := r.Load(t.Context(), run); got.Pages != 10 || got.State != scraper.StateContinued {
		t.Fatalf("hop 0 wrote over hop 1: %+v", got)
	}
	if err := r.Save(t.Context(), at(1, scraper.StateSucceeded)); err != nil {
		t.Fatal(err)
	}
	if err := r.Begin(t.Context(), at(2, scraper.StateContinued)); !errors.Is(err, scraper.ErrHopBegun) {
		t.Fatalf("a hop of an ended run: want ErrHopBegun, got %v", err)
	}
}

func claimOnce(t *testing.T, r scraper.Runs) {
	later := time.Now().Add(time.Hour)
	first := scraper.KeyClaim{Key: "order 42", RunID: "run-a", Request: "POST /scrapes maxPages=3"}
	if err := r.Claim(t.Context(), first, later); err != nil {
		t.Fatal(err)
	}
	again := first
	again.RunID, again.Request = "run-b", "POST /scrapes maxPages=4"
	used, ok := errors.AsType[*scraper.KeyUsedError](r.Claim(t.Context(), again, later))
	if !ok || used.Claim.RunID != "run-a" || used.Claim.Request != first.Request {
		t.Fatalf("the same key again: want a *KeyUsedError naming run-a and its request, got %v", used)
	}
	other := scraper.KeyClaim{Key: "order 43", RunID: "run-c", Request: first.Request}
	if err := r.Claim(t.Context(), other, later); err != nil {
		t.Fatalf("another key: %v", err)
	}
}

func expiredClaim(t *testing.T, r scraper.Runs) {
	c := scraper.KeyClaim{Key: "k", RunID: "run-a", Request: "x"}
	if err := r.Claim(t.Context(), c, time.Now().Add(-2*time.Second)); err != nil {
		t.Fatal(err)
	}
	c.RunID = "run-b"
	if err := r.Claim(t.Context(), c, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("an expired claim: %v", err)
	}
}

func unclaim(t *testing.T, r scraper.Runs) {
	later := time.Now().Add(time.Hour)
	c := scraper.KeyClaim{Key: "k", RunID: "run-a", Request: "x"}
	if err := r.Claim(t.Context(), c, later); err != nil {
		t.Fatal(err)
	}
	if err := r.Unclaim(t.Context(), "k", "run-b"); err != nil {
		t.Fatal(err)
	}
	if _, ok := errors.AsType[*scraper.KeyUsedError](r.Claim(t.Context(), scraper.KeyClaim{Key: "k", RunID: "run-c"}, later)); !ok {
		t.Fatal("another run's unclaim freed the key")
	}
	if err := r.Unclaim(t.Context(), "k", "run-a"); err != nil {
		t.Fatal(err)
	}
	if err := r.Claim(t.Context(), scraper.KeyClaim{Key: "k", RunID: "run-c"}, later); err != nil {
		t.Fatalf("after its own unclaim: %v", err)
	}
}

func concurrentClaims(t *testing.T, r scraper.Runs) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = r.Claim(t.Context(), scraper.KeyClaim{Key: "k", RunID: fmt.Sprint("run-", i), Request: "x"}, time.Now().Add(time.Hour))
		})
	}
	wg.Wait()
	winners, named := 0, map[string]bool{}
	for _, err := range errs {
		if err == nil {
			winners++
			continue
		}
		used, ok := errors.AsType[*scraper.KeyUsedError](err)
		if !ok {
			t.Fatalf("want nil or a *KeyUsedError, got %v", err)
		}
		named[used.Claim.RunID] = true
	}
	if winners != 1 || len(named) != 1 {
		t.Fatalf("%d claims won, losers named %v: want one winner, named by every loser", winners, named)
	}
}
