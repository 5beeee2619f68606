package scraper

import "testing"

func TestValidHeaderFollowsTheContract(t *testing.T) {
	const ok = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"
	for h, want := range map[string]string{
		ok: ok,
		"Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=?": "",
		"Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Sampled=1":                         "",
		"": "",
	} {
		if got := validHeader(h); got != want {
			t.Errorf("validHeader(%q) = %q, want %q", h, got, want)
		}
	}
}

// An unsampled record keeps the trace's root and parent, says Sampled=0,
// and is valid per movie-record.v1's traceHeader pattern.
func TestUnsampledKeepsTheTrace(t *testing.T) {
	const root = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;"
	for h, want := range map[string]string{
		root + "Sampled=1": root + "Sampled=0",
		root + "Sampled=0": root + "Sampled=0",
		"":                 "",
	} {
		if got := unsampled(h); got != want {
			t.Errorf("unsampled(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestTracedOnPage(t *testing.T) {
	for _, c := range []struct{ perPage, perRun, soFar, want int }{
		{2, 40, 0, 2}, {2, 40, 39, 1}, {2, 40, 40, 0}, {2, 40, 45, 0}, {0, 40, 0, 0},
	} {
		if got := tracedOnPage(c.perPage, c.perRun, c.soFar); got != c.want {
			t.Errorf("tracedOnPage(%d, %d, %d) = %d, want %d", c.perPage, c.perRun, c.soFar, got, c.want)
		}
	}
}
