package processor_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/internal/memstore"
)

// The mixed batch is every golden record of the contracts module, valid and
// invalid, and one oversized record, as Lambda delivers them.
func mixedBatch(t *testing.T) events.KinesisEvent {
	path := filepath.Join("testdata", "mixed-batch.json")
	if *update {
		_, valid := golden(t, "valid")
		_, invalid := golden(t, "invalid")
		oversized := make([]byte, 70<<10)
		copy(oversized, `{"schema":"movie-record.v1","id":"tt0000009","title":"`)
		ev := event(1, append(append(valid, invalid...), oversized)...)
		b, _ := json.MarshalIndent(ev, "", " ")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var ev events.KinesisEvent
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// wantMixed counts the outcomes the mixed batch must have: one stored
// record per distinct id among the valid ones stamped before they reached
// the stream (the newest), the others stale; every invalid one parked, and
// the valid ones stamped after their arrival beyond the allowed skew (the
// contract admits up to 2099).
func wantMixed(t *testing.T, ev events.KinesisEvent) (stored, stale, parked, skewed int) {
	ids := map[string]bool{}
	for _, r := range ev.Records {
		m, err := processor.Decode(r.Kinesis.Data, 64<<10)
		switch {
		case err != nil:
			parked++
		case m.ScrapedAt.After(r.Kinesis.ApproximateArrivalTimestamp.Add(5 * time.Minute)):
			skewed++
		case ids[m.ID]:
			stale++
		default:
			ids[m.ID] = true
		}
	}
	return len(ids), stale, parked + skewed, skewed
}

func TestMixedBatch(t *testing.T) {
	s := memstore.New()
	h, reports := newHandler(s)
	ev := mixedBatch(t)
	resp, err := h.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v, want none", failures(resp))
	}
	stored, stale, parked, skewed := wantMixed(t, ev)
	if skewed == 0 || stored == 0 || stale == 0 {
		t.Fatalf("the mixed batch has %d skewed, %d stored, %d stale records; want some of each", skewed, stored, stale)
	}
	r := (*reports)[0]
	total := 0
	for _, n := range r.Parked {
		total += n
	}
	if r.In != len(ev.Records) || r.Stored != stored || r.Stale != stale || total != parked || r.Retried != 0 {
		t.Fatalf("report %+v; want stored %d, stale %d, parked %d", r, stored, stale, parked)
	}
	if r.Parked[processor.ReasonOversized] != 1 || r.Parked[processor.ReasonUndecodable] != 5 ||
		r.Parked[processor.ReasonUnsupported] != 1 || r.Parked[processor.ReasonClockSkew] != skewed {
		t.Fatalf("parked by reason %v", r.Parked)
	}
	movies, errs := s.Counts()
	if movies != stored || errs != parked {
		t.Fatalf("store holds %d movies, %d errors; want %d, %d", movies, errs, stored, parked)
	}
}

func TestNewestInBatchWins(t *testing.T) {
	s := memstore.New()
	h, reports := newHandler(s)
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	// Same id three times: the middle one is the newest scrape.
	_, err := h.Handle(t.Context(), event(1,
		record("tt0000001", "first", t0),
		record("tt0000001", "newest", t0.Add(time.Minute)),
		record("tt0000001", "older", t0.Add(time.Second)),
	))
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := s.Movie(t.Context(), "tt0000001")
	var m struct{ Title string }
	_ = json.Unmarshal(got, &m)
	if m.Title != "newest" {
		t.Fatalf("stored %q, want newest", m.Title)
	}
	if r := (*reports)[0]; r.Stored != 1 || r.Stale != 2 {
		t.Fatalf("report %+v", r)
	}
}

var errThrottled = errors.New("ProvisionedThroughputExceededException")

func TestFailedWritesAreRetriedOthersAreNot(t *testing.T) {
	s := memstore.New()
	s.FailPut = func(m processor.Movie) error {
		if m.ID == "tt0000002" {
			return errThrottled
		}
		return nil
	}
	h, reports := newHandler(s)
	t0 := scraped
	ev := event(1, record("tt0000001", "a", t0), record("tt0000002", "b", t0), []byte("nope"), record("tt0000003", "c", t0))
	resp, _ := h.Handle(t.Context(), ev)
	if got, want := failures(resp), []string{ev.Records[1].Kinesis.SequenceNumber}; !slices.Equal(got, want) {
		t.Fatalf("failures %v, want %v", got, want)
	}
	if r := (*reports)[0]; r.Stored != 2 || r.Retried != 1 || r.Parked[processor.ReasonUndecodable] != 1 {
		t.Fatalf("report %+v", r)
	}
	// Lambda delivers again from the failed record on; now the write passes.
	s.FailPut = nil
	resp, _ = h.Handle(t.Context(), events.KinesisEvent{Records: ev.Records[1:]})
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("second delivery failures %v", failures(resp))
	}
	if r := (*reports)[1]; r.Stored != 1 || r.Stale != 1 || r.Parked[processor.ReasonUndecodable] != 1 {
		t.Fatalf("second delivery report %+v", r)
	}
	if movies, errs := s.Counts(); movies != 3 || errs != 1 {
		t.Fatalf("store holds %d movies, %d errors", movies, errs)
	}
}

func TestFailedParkIsRetried(t *testing.T) {
	s := memstore.New()
	s.FailPark = func(processor.ErrorRecord) error { return errThrottled }
	h, _ := newHandler(s)
	ev := event(1, []byte("nope"), record("tt0000001", "a", scraped))
	resp, _ := h.Handle(t.Context(), ev)
	if got := failures(resp); !slices.Equal(got, []string{ev.Records[0].Kinesis.SequenceNumber}) {
		t.Fatalf("failures %v", got)
	}
}

// slowStore takes its time for every write, like a throttled table.
type slowStore struct {
	*memstore.Store
	delay time.Duration
}

func (s slowStore) PutMovie(ctx context.Context, m *processor.Movie, seq string) (bool, error) {
	select {
	case <-time.After(s.delay):
		return s.Store.PutMovie(ctx, m, seq)
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// countingStore is a slowStore that records how many writes were in flight
// at most.
type countingStore struct {
	slowStore
	mu            sync.Mutex
	now, inFlight int
}

func (s *countingStore) PutMovie(ctx context.Context, m *processor.Movie, seq string) (bool, error) {
	s.mu.Lock()
	s.now++
	s.inFlight = max(s.inFlight, s.now)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.now--
		s.mu.Unlock()
	}()
	return s.slowStore.PutMovie(ctx, m, seq)
}

// Independent ids are written concurrently, never more than Concurrency
// at once.
func TestWritesInFlightAreBounded(t *testing.T) {
	s := &countingStore{slowStore: slowStore{memstore.New(), 20 * time.Millisecond}}
	h, reports := newHandler(s)
	h.Concurrency = 3
	var datas [][]byte
	for i := range 20 {
		datas = append(datas, record("tt000000"+string(rune('0'+i%10))+string(rune('0'+i/10)), "m", scraped))
	}
	resp, _ := h.Handle(t.Context(), event(1, datas...))
	if r := (*reports)[0]; r.Stored != 20 || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("report %+v, %d failures: want 20 stored", r, len(resp.BatchItemFailures))
	}
	if s.inFlight < 2 || s.inFlight > 3 {
		t.Fatalf("%d writes in flight at most, want 2 to 3", s.inFlight)
	}
}

// A deadline mid-batch: the records written are not reported, the rest are.
func TestDeadlineReportsTheRest(t *testing.T) {
	s := slowStore{memstore.New(), 40 * time.Millisecond}
	h, reports := newHandler(s)
	h.Concurrency = 1
	h.Margin = 10 * time.Millisecond
	var datas [][]byte
	for i := range 20 {
		datas = append(datas, record("tt000000"+string(rune('0'+i%10))+string(rune('0'+i/10)), "m", scraped))
	}
	ev := event(1, datas...)
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	r := (*reports)[0]
	if r.Stored == 0 || r.Retried == 0 || r.Stored+r.Retried != 20 {
		t.Fatalf("report %+v: want some stored and the rest retried", r)
	}
	movies, _ := s.Counts()
	if movies != r.Stored || len(resp.BatchItemFailures) != r.Retried {
		t.Fatalf("%d stored, %d reported; report %+v", movies, len(resp.BatchItemFailures), r)
	}
	// Each reported record is one not stored.
	for _, f := range resp.BatchItemFailures {
		for _, rec := range ev.Records {
			if rec.Kinesis.SequenceNumber == f.ItemIdentifier {
				m, _ := processor.Decode(rec.Kinesis.Data, 1<<20)
				if _, ok, _ := s.Movie(t.Context(), m.ID); ok {
					t.Errorf("%s reported for retry but stored", m.ID)
				}
			}
		}
	}
}

// panicStore panics on one id, as a bug in an adapter would.
type panicStore struct{ *memstore.Store }

func (s panicStore) PutMovie(ctx context.Context, m *processor.Movie, seq string) (bool, error) {
	if m.ID == "tt0000002" {
		panic("boom")
	}
	return s.Store.PutMovie(ctx, m, seq)
}

func TestPanicIsParkedAsInternal(t *testing.T) {
	s := panicStore{memstore.New()}
	h, reports := newHandler(s)
	ev := event(1, record("tt0000001", "a", scraped), record("tt0000002", "b", scraped))
	resp, err := h.Handle(t.Context(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %v, err %v", failures(resp), err)
	}
	if r := (*reports)[0]; r.Stored != 1 || r.Parked[processor.ReasonInternal] != 1 {
		t.Fatalf("report %+v", r)
	}
	e, ok, _ := s.ErrorRecord(t.Context(), "process#shardId-000000000000#"+ev.Records[1].Kinesis.SequenceNumber)
	if !ok || e.Reason != processor.ReasonInternal || e.MovieID != "tt0000002" {
		t.Fatalf("error record %+v, %v", e, ok)
	}
}

func TestEmptyBatch(t *testing.T) {
	h, _ := newHandler(memstore.New())
	resp, err := h.Handle(t.Context(), events.KinesisEvent{})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%v %v", resp, err)
	}
}

func FuzzHandle(f *testing.F) {
	_, valid := golden(f, "valid")
	_, invalid := golden(f, "invalid")
	for _, d := range append(valid, invalid...) {
		f.Add(d, d)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		s := memstore.New()
		h, reports := newHandler(s)
		resp, err := h.Handle(context.Background(), event(1, a, b))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("resp %v err %v", failures(resp), err)
		}
		r := (*reports)[0]
		parked := 0
		for _, n := range r.Parked {
			parked += n
		}
		if r.Stored+r.Stale+parked != 2 {
			t.Fatalf("report %+v does not account for both records", r)
		}
	})
}
