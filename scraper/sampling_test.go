package scraper_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper"
)

// sampledKeys lists, in order, the published records that carry the
// sampled header; every other one must carry the unsampled header of the
// same trace, valid per movie-record.v1.
func sampledKeys(t *testing.T, pub *fakePublisher) []string {
	t.Helper()
	var keys []string
	for _, e := range pub.entries {
		var r struct{ TraceHeader string }
		_ = json.Unmarshal(e.Data, &r)
		switch r.TraceHeader {
		case header:
			keys = append(keys, e.Key)
		case unsampledHeader:
		default:
			t.Errorf("%s carries trace header %q", e.Key, r.TraceHeader)
		}
		if err := contracts.Validate(contracts.MovieRecordV1, e.Data); err != nil {
			t.Errorf("%s: %v", e.Key, err)
		}
	}
	return keys
}

// The first records of each page are sampled, up to the run's bound; the
// rest carry the run's trace id with Sampled=0.
func TestTraceSamplingBoundsPagesAndRun(t *testing.T) {
	for _, tc := range []struct {
		name            string
		perPage, perRun int
		want            []string
	}{
		{"one a page", 1, 100, []string{"tt0000010", "tt0000020", "tt0000030", "tt0000040"}},
		{"the run's bound cuts a page short", 2, 3, []string{"tt0000010", "tt0000011", "tt0000020"}},
		{"none", 0, 100, nil},
		{"none left for the run", 2, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site, _ := workshopSite(t, 4)
			s, pub, _, _ := newScraper()
			s.TracePerPage, s.TracePerRun = tc.perPage, tc.perRun
			now := time.Now()
			rep, _ := s.Run(t.Context(), scraper.State{RunID: "r", Next: site.URL + "/movies?page=1", MaxPages: 10, Started: now}, now.Add(time.Hour))
			if rep.RecordsPublished != 8 {
				t.Fatalf("report %+v", rep)
			}
			if got := sampledKeys(t, pub); !slices.Equal(got, tc.want) {
				t.Errorf("sampled %v, want %v", got, tc.want)
			}
		})
	}
}

// The run's bound holds across continuations: the count travels in the
// State, through JSON as the asynchronous invocation carries it.
func TestTraceBoundHoldsAcrossContinuations(t *testing.T) {
	site, _ := workshopSite(t, 7)
	s, pub, _, _ := newScraper()
	s.TracePerPage, s.TracePerRun = 2, 5
	clock := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	st := &scraper.State{RunID: "r", Next: site.URL + "/movies?page=1", MaxPages: 100, Started: clock}
	invocations := 0
	for ; st != nil; invocations++ {
		b, _ := json.Marshal(st)
		var carried scraper.State
		if err := json.Unmarshal(b, &carried); err != nil {
			t.Fatal(err)
		}
		_, st = s.Run(t.Context(), carried, clock.Add(4*time.Second)) // about two pages per invocation
	}
	if invocations < 3 {
		t.Fatalf("%d invocations: the run was not handed over", invocations)
	}
	want := []string{"tt0000010", "tt0000011", "tt0000020", "tt0000021", "tt0000030"}
	if got := sampledKeys(t, pub); !slices.Equal(got, want) {
		t.Errorf("sampled %v, want %v", got, want)
	}
}

// A trace the trigger did not sample stays unsampled: every record says
// Sampled=0 and none counts against the run's bound.
func TestUnsampledTriggerSamplesNoRecord(t *testing.T) {
	site, _ := workshopSite(t, 2)
	s, pub, _, _ := newScraper()
	s.Tracer = &unsampledTracer{}
	s.TracePerPage, s.TracePerRun = 2, 10
	now := time.Now()
	_, _ = s.Run(t.Context(), scraper.State{RunID: "r", Next: site.URL + "/movies?page=1", MaxPages: 10, Started: now}, now.Add(time.Hour))
	if got := sampledKeys(t, pub); len(got) != 0 || len(pub.entries) != 4 {
		t.Errorf("sampled %v of %d records", got, len(pub.entries))
	}
}

type unsampledTracer struct{ fakeTracer }

func (*unsampledTracer) Header(context.Context) string { return unsampledHeader }
