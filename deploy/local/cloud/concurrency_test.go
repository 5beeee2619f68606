package cloud_test

import (
	"io"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// An account whose concurrency cannot hold the stacks' reservations stops
// the start as Lambda refuses the function: a new account of 10 keeps all
// 10 unreserved, so the scraper's reserved concurrency of 1 is refused.
func TestReservationBeyondTheAccountStopsTheStart(t *testing.T) {
	c, err := cloud.Up(t.Context(), cloud.Options{Root: root(t), Log: io.Discard, Concurrency: 10})
	if err == nil {
		c.Close()
		t.Fatal("the scraper's reservation was accepted by an account of 10")
	}
	want := "ScraperLambdaFunction (AWS::Lambda::Function): InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [10]."
	if !strings.Contains(err.Error(), want) || c != nil {
		t.Errorf("%v; want %q", err, want)
	}
}
