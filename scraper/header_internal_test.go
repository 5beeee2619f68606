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
