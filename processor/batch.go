package processor

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/contracts"
)

// Store keeps movies and parked records.
type Store interface {
	// PutMovie writes m, read at sequence number seq, unless the table holds
	// the same or a newer version of it (by scrapedAt, then by sequence
	// number): written is false then. The comparison and the write are one
	// conditional write, so writers of the same id at the same time (a replay
	// next to the live mapping, a redrive) leave the newest version whatever
	// their order. An error means the write may succeed if tried again.
	PutMovie(ctx context.Context, m *Movie, seq string) (written bool, err error)
	// Park writes entries to the error table; writing an entry twice leaves
	// one. It returns the entries it could not write, which may succeed if
	// tried again later, and why.
	Park(ctx context.Context, rs []ErrorRecord) (failed []ErrorRecord, err error)
}

// Tracer continues a record's trace from the trace header it carries.
type Tracer interface {
	// Record starts a segment for one record, annotated with its movie id
	// and run id, and returns the context to make its calls in (the store's
	// call is a subsegment of it), and the function that ends the segment.
	Record(ctx context.Context, traceHeader, movieID, runID string) (context.Context, func(error))
}

// Parked is a record that can never succeed, as the error table keeps it.
type Parked struct {
	*ParkError
	Payload        contracts.ErrorPayload
	MovieID        string
	SourceURL      string
	RunID          string
	TraceHeader    string
	ShardID        string
	SequenceNumber string
	// ArrivedAt is when Kinesis accepted the record: the entry's time, so that
	// parking the same record again writes the same entry.
	ArrivedAt time.Time
}

// Outcome is what happened to one record.
type Outcome string

const (
	Stored Outcome = "stored"
	Stale  Outcome = "stale"
	Park   Outcome = "parked"
	Retry  Outcome = "retry"
)

// Report counts the outcomes of one batch.
type Report struct {
	In       int
	Stored   int
	Stale    int
	Parked   map[Reason]int
	Retried  int
	MaxAge   time.Duration // now − the oldest record's arrival
	Duration time.Duration
}

// Handler processes Kinesis batches.
type Handler struct {
	Store  Store
	Tracer Tracer
	Log    *slog.Logger
	// MaxRecordBytes parks larger records as oversized.
	MaxRecordBytes int
	// MaxClockSkew is how far after its arrival on the stream a record may be
	// stamped; a later one is parked (CheckClock).
	MaxClockSkew time.Duration
	// Concurrency bounds the writes in flight.
	Concurrency int
	// ErrorTTL is how long the error table keeps an entry.
	ErrorTTL time.Duration
	// Margin is kept free before the invocation's deadline: records not
	// finished by then are reported for retry instead of timing out the batch.
	Margin time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Metrics receives each batch's report; nil discards it.
	Metrics func(Report)
}

// item is one record on its way through a batch.
type item struct {
	rec     *events.KinesisEventRecord
	movie   Movie
	parked  *Parked
	outcome Outcome
	err     error // why a retried record failed, if it did
}

// Handle processes one batch and returns the records to deliver again. It
// never returns an error: a failure that may pass is a batch item failure, one
// that cannot is parked.
func (h *Handler) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	start := h.now()
	rep := Report{In: len(ev.Records), Parked: map[Reason]int{}}
	items := make([]item, len(ev.Records))
	for i := range ev.Records {
		it := &items[i]
		it.rec = &ev.Records[i]
		rep.MaxAge = max(rep.MaxAge, start.Sub(it.rec.Kinesis.ApproximateArrivalTimestamp.Time))
		it.movie, it.parked = h.decode(ctx, it.rec)
	}

	// Stop the writes early enough to answer before the deadline.
	wctx, cancel := h.workContext(ctx)
	defer cancel()
	writes, parks := plan(items)
	var wg sync.WaitGroup
	wg.Go(func() { h.park(wctx, parks) })
	h.writeAll(wctx, writes)
	wg.Wait()

	resp := rep.count(items)
	rep.Duration = h.now().Sub(start)
	h.logOutcomes(ctx, items)
	h.log().InfoContext(ctx, "batch done", "records", rep.In, "stored", rep.Stored, "stale", rep.Stale,
		"parked", rep.Parked, "retried", rep.Retried, "maxAgeMs", rep.MaxAge.Milliseconds(), "durationMs", rep.Duration.Milliseconds())
	if h.Metrics != nil {
		h.Metrics(rep)
	}
	return resp, nil
}

// plan splits a batch's decoded items into the movies to write, the newest
// record of each id, and the records to park; the older records of an id
// are stale already.
func plan(items []item) (writes, parks []*item) {
	newest := make(map[string]*item, len(items))
	for i := range items {
		it := &items[i]
		if it.parked != nil {
			parks = append(parks, it)
			continue
		}
		cur, ok := newest[it.movie.ID]
		switch {
		case !ok:
			newest[it.movie.ID] = it
		case newer(it, cur):
			cur.outcome, newest[it.movie.ID] = Stale, it
		default:
			it.outcome = Stale
		}
	}
	for i := range items {
		if it := &items[i]; it.parked == nil && it.outcome == "" {
			writes = append(writes, it)
		}
	}
	return writes, parks
}

// count adds up the items' outcomes and lists those to deliver again: the
// retries, and any record the deadline left unfinished.
func (rep *Report) count(items []item) events.KinesisEventResponse {
	var resp events.KinesisEventResponse
	for i := range items {
		it := &items[i]
		switch it.outcome {
		case Stored:
			rep.Stored++
		case Stale:
			rep.Stale++
		case Park:
			rep.Parked[it.parked.Reason]++
		default:
			it.outcome = Retry
			rep.Retried++
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: it.rec.Kinesis.SequenceNumber})
		}
	}
	return resp
}

// decode turns one record into a movie or a parked record, recovering from
// any panic on the way.
func (h *Handler) decode(ctx context.Context, r *events.KinesisEventRecord) (m Movie, p *Parked) {
	defer func() {
		if v := recover(); v != nil {
			h.log().ErrorContext(ctx, "panic decoding record", "sequenceNumber", r.Kinesis.SequenceNumber, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			p = h.newParked(r, nil, &ParkError{Reason: ReasonInternal, Message: fmt.Sprintf("panic: %v", v)})
		}
	}()
	m, err := Decode(r.Kinesis.Data, h.MaxRecordBytes)
	if err == nil {
		err = CheckClock(&m, r.Kinesis.ApproximateArrivalTimestamp.Time, h.MaxClockSkew)
	}
	if pe, ok := errors.AsType[*ParkError](err); ok {
		return m, h.newParked(r, &m, pe)
	}
	return m, nil
}

func (h *Handler) newParked(r *events.KinesisEventRecord, m *Movie, pe *ParkError) *Parked {
	p := &Parked{
		ParkError:      pe,
		Payload:        contracts.NewErrorPayload(r.Kinesis.Data),
		ShardID:        shardID(r.EventID),
		SequenceNumber: r.Kinesis.SequenceNumber,
		ArrivedAt:      r.Kinesis.ApproximateArrivalTimestamp.UTC(),
	}
	if m != nil && m.ID != "" { // a panic after the decode may leave a movie
		p.MovieID, p.SourceURL, p.RunID, p.TraceHeader = m.ID, m.SourceURL, m.RunID, m.TraceHeader
		return p
	}
	// What an invalid record says about itself; NewErrorRecord keeps only
	// what is valid.
	var own struct {
		ID, SourceURL, RunID, TraceHeader any
	}
	if json.Unmarshal(r.Kinesis.Data, &own) == nil {
		p.MovieID, _ = own.ID.(string)
		p.SourceURL, _ = own.SourceURL.(string)
		p.RunID, _ = own.RunID.(string)
		p.TraceHeader, _ = own.TraceHeader.(string)
	}
	return p
}

// newer reports whether a's record supersedes b's: a later scrape, or the
// same scrape published later.
func newer(a, b *item) bool {
	if c := a.movie.ScrapedAt.Compare(b.movie.ScrapedAt); c != 0 {
		return c > 0
	}
	return CompareSequence(a.rec.Kinesis.SequenceNumber, b.rec.Kinesis.SequenceNumber) > 0
}

// CompareSequence orders Kinesis sequence numbers: decimal strings of up to
// 128 digits, compared as numbers.
func CompareSequence(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// writeAll writes the movies, a bounded number in flight, and stops
// starting writes when the deadline is near.
func (h *Handler) writeAll(ctx context.Context, writes []*item) {
	sem := make(chan struct{}, max(1, h.Concurrency))
	var wg sync.WaitGroup
	defer wg.Wait() // the writes in flight finish (or fail) before the outcomes are read
	for _, it := range writes {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return // the rest stay unfinished and are reported for retry
		}
		wg.Go(func() {
			defer func() { <-sem }()
			h.write(ctx, it)
		})
	}
}

// write writes one movie in a segment of its own, which continues its
// producer's trace; the store's call is a subsegment of it.
func (h *Handler) write(ctx context.Context, it *item) {
	rctx, end := h.Tracer.Record(ctx, it.movie.TraceHeader, it.movie.ID, it.movie.RunID)
	written, err := h.put(rctx, it)
	end(err)
	var pe *panicError
	switch {
	case errors.As(err, &pe):
		h.parkPanic(ctx, it, pe)
	case err != nil:
		it.outcome, it.err = Retry, err
	case written:
		it.outcome = Stored
	default:
		it.outcome = Stale
	}
}

// put is the store's PutMovie, with a panic turned into a *panicError.
func (h *Handler) put(ctx context.Context, it *item) (written bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return h.Store.PutMovie(ctx, &it.movie, it.rec.Kinesis.SequenceNumber)
}

// panicError is a panic in the store, recovered: a bug, not the record's
// fault, but one that would recur on every delivery.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// parkPanic parks a record whose write panicked, with reason internal, so
// that it does not stall its shard; it is parked on its own because the
// parking of the batch has already started.
func (h *Handler) parkPanic(ctx context.Context, it *item, pe *panicError) {
	h.log().LogAttrs(ctx, slog.LevelError, "panic writing movie", append(recordAttrs(it),
		slog.String("panic", fmt.Sprint(pe.value)), slog.String("stack", string(pe.stack)))...)
	it.parked = h.newParked(it.rec, &it.movie, &ParkError{Reason: ReasonInternal, Message: pe.Error()})
	it.outcome = Park
	if failed, err := h.Store.Park(ctx, []ErrorRecord{NewErrorRecord(*it.parked, h.ErrorTTL)}); err != nil || len(failed) > 0 {
		it.outcome, it.err = Retry, cmp.Or(err, errParkFailed)
	}
}

func (h *Handler) park(ctx context.Context, parks []*item) {
	if len(parks) == 0 {
		return
	}
	rs := make([]ErrorRecord, len(parks))
	for i, it := range parks {
		rs[i] = NewErrorRecord(*it.parked, h.ErrorTTL)
	}
	failed, err := h.Store.Park(ctx, rs)
	retry := map[string]bool{}
	for _, f := range failed {
		retry[f.ErrorID] = true
	}
	for i, it := range parks {
		if retry[rs[i].ErrorID] {
			it.outcome, it.err = Retry, cmp.Or(err, errParkFailed)
		} else {
			it.outcome = Park
		}
	}
}

func (h *Handler) workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-h.Margin))
	}
	return context.WithCancel(ctx)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// shardID takes the shard id from an event id ("shardId-000000000000:4954…").
func shardID(eventID string) string {
	if i := strings.IndexByte(eventID, ':'); i > 0 {
		return eventID[:i]
	}
	return ""
}
