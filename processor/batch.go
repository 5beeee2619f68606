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

// Versioned is a movie and its place in the stream.
type Versioned struct {
	Movie *Movie
	Seq   string
}

// WriteResult is the outcome of one movie's write.
type WriteResult struct {
	Written bool  // false: the table holds the same or a newer version
	Err     error // the write may succeed if tried again later
}

// Store keeps movies and parked records.
type Store interface {
	// PutMovies writes each movie unless the table holds the same or a newer
	// version of it (by scrapedAt, then by sequence number), and returns one
	// result per movie, in order. The ids are distinct, and no other writer
	// changes them meanwhile: Kinesis delivers one partition key (the movie
	// id) to one invocation at a time, and the handler writes an id once.
	PutMovies(ctx context.Context, ms []Versioned) []WriteResult
	// Park writes entries to the error table; writing an entry twice leaves
	// one. It returns the entries it could not write, which may succeed if
	// tried again later, and why.
	Park(ctx context.Context, rs []ErrorRecord) (failed []ErrorRecord, err error)
}

// Tracer continues a record's trace from the trace header it carries.
type Tracer interface {
	// Record starts a segment for one record, annotated with its movie id,
	// and returns the context to make its calls in, and the function that
	// ends the segment.
	Record(ctx context.Context, traceHeader, movieID string) (context.Context, func(error))
	// Call opens, in a record's context, a subsegment for a store call that
	// writes the record with others; the returned function closes it.
	Call(ctx context.Context, name string) func(error)
}

// Parked is a record that can never succeed, as the error table keeps it.
type Parked struct {
	*ParkError
	Payload        Payload
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
	// Concurrency bounds the store calls in flight.
	Concurrency int
	// ChunkSize is how many movies one store call writes [25, BatchWriteItem's limit].
	ChunkSize int
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
}

// Handle processes one batch and returns the records to deliver again. It
// never returns an error: a failure that may pass is a batch item failure, one
// that cannot is parked.
func (h *Handler) Handle(ctx context.Context, ev events.KinesisEvent) (events.KinesisEventResponse, error) {
	now := h.now()
	start := now
	rep := Report{In: len(ev.Records), Parked: map[Reason]int{}}
	items := make([]item, len(ev.Records))
	var members []contracts.Member
	text := batchText(ev.Records) // the movies' strings are slices of it
	for i := range ev.Records {
		it := &items[i]
		it.rec = &ev.Records[i]
		if age := now.Sub(it.rec.Kinesis.ApproximateArrivalTimestamp.Time); age > rep.MaxAge {
			rep.MaxAge = age
		}
		n := len(it.rec.Kinesis.Data)
		it.movie, it.parked = h.decode(it.rec, text[:n], &members)
		text = text[n:]
	}

	// Stop the writes early enough to answer before the deadline.
	wctx, cancel := h.workContext(ctx)
	defer cancel()

	// The newest record per id is written; the others in the batch are stale.
	newest := make(map[string]*item, len(items))
	writes := make([]*item, 0, len(items))
	var parks []*item
	for i := range items {
		it := &items[i]
		if it.parked != nil {
			parks = append(parks, it)
			continue
		}
		if cur, ok := newest[it.movie.ID]; !ok || newer(it, cur) {
			if ok {
				cur.outcome = Stale
			}
			newest[it.movie.ID] = it
		} else {
			it.outcome = Stale
		}
	}
	for i := range items {
		if it := &items[i]; it.parked == nil && it.outcome == "" {
			writes = append(writes, it)
		}
	}

	var wg sync.WaitGroup
	wg.Go(func() { h.park(wctx, parks) })
	h.writeAll(wctx, writes)
	wg.Wait()

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
		default: // Retry, or never reached before the deadline
			it.outcome = Retry
			rep.Retried++
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: it.rec.Kinesis.SequenceNumber})
		}
	}
	rep.Duration = h.now().Sub(start)
	h.log().InfoContext(ctx, "batch done", "records", rep.In, "stored", rep.Stored, "stale", rep.Stale,
		"parked", rep.Parked, "retry", rep.Retried, "max_age_ms", rep.MaxAge.Milliseconds(), "duration_ms", rep.Duration.Milliseconds())
	if h.Metrics != nil {
		h.Metrics(rep)
	}
	return resp, nil
}

// batchText is one copy of the records' data, one after the other: one
// allocation for the batch instead of one per record.
func batchText(records []events.KinesisEventRecord) string {
	var b strings.Builder
	n := 0
	for i := range records {
		n += len(records[i].Kinesis.Data)
	}
	b.Grow(n)
	for i := range records {
		b.Write(records[i].Kinesis.Data)
	}
	return b.String()
}

// decode turns one record into a movie or a parked record, recovering from
// any panic on the way; text is its data as a string, members room for its
// members.
func (h *Handler) decode(r *events.KinesisEventRecord, text string, members *[]contracts.Member) (m Movie, p *Parked) {
	defer func() {
		if v := recover(); v != nil {
			h.log().Error("panic decoding record", "sequence_number", r.Kinesis.SequenceNumber, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			p = h.newParked(r, nil, &ParkError{Reason: ReasonInternal, Message: fmt.Sprintf("panic: %v", v)})
		}
	}()
	m, err := decode(r.Kinesis.Data, text, h.MaxRecordBytes, members)
	if pe, ok := errors.AsType[*ParkError](err); ok {
		return m, h.newParked(r, &m, pe)
	}
	return m, nil
}

func (h *Handler) newParked(r *events.KinesisEventRecord, m *Movie, pe *ParkError) *Parked {
	p := &Parked{
		ParkError:      pe,
		Payload:        NewPayload(r.Kinesis.Data),
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

// writeAll writes the movies in chunks, a bounded number of chunks in
// flight, and stops starting chunks when the deadline is near.
func (h *Handler) writeAll(ctx context.Context, writes []*item) {
	size := h.ChunkSize
	if size <= 0 {
		size = 25
	}
	sem := make(chan struct{}, max(1, h.Concurrency))
	var wg sync.WaitGroup
	defer wg.Wait() // the writes in flight finish (or fail) before the outcomes are read
	for lo := 0; lo < len(writes); lo += size {
		chunk := writes[lo:min(lo+size, len(writes))]
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return // the rest stay unfinished and are reported for retry
		}
		wg.Go(func() {
			defer func() { <-sem }()
			h.write(ctx, chunk)
		})
	}
}

// write writes one chunk. A panic in the store is recovered: a chunk that
// panics is written again one movie at a time, so that only the movie that
// panics is parked, with reason internal.
func (h *Handler) write(ctx context.Context, chunk []*item) {
	v := h.writeChunk(ctx, chunk)
	if v == nil {
		return
	}
	if len(chunk) > 1 {
		for _, it := range chunk {
			h.write(ctx, []*item{it})
		}
		return
	}
	it := chunk[0]
	h.log().Error("panic writing movie", "id", it.movie.ID, "panic", fmt.Sprint(v))
	it.parked = h.newParked(it.rec, &it.movie, &ParkError{Reason: ReasonInternal, Message: fmt.Sprintf("panic: %v", v)})
	// Park it now: the parking of the batch has already started.
	it.outcome = Park
	if failed, err := h.Store.Park(ctx, []ErrorRecord{NewErrorRecord(*it.parked, h.ErrorTTL)}); err != nil || len(failed) > 0 {
		it.outcome = Retry
	}
}

// writeChunk makes one store call for a chunk; each record has its own
// segment, continuing its producer's trace, with the call as a subsegment.
// It returns what the store panicked with, if it did.
func (h *Handler) writeChunk(ctx context.Context, chunk []*item) (panicked any) {
	ends := make([]func(error), len(chunk))
	calls := make([]func(error), len(chunk))
	ms := make([]Versioned, len(chunk))
	for i, it := range chunk {
		rctx, end := h.Tracer.Record(ctx, it.movie.TraceHeader, it.movie.ID)
		ends[i], calls[i] = end, h.Tracer.Call(rctx, "DynamoDB")
		ms[i] = Versioned{Movie: &it.movie, Seq: it.rec.Kinesis.SequenceNumber}
	}
	var results []WriteResult
	defer func() {
		if v := recover(); v != nil {
			panicked, results = v, nil
			h.log().Debug("panic in the store", "stack", string(debug.Stack()))
		}
		for i := range chunk {
			err := errPanic
			if i < len(results) {
				err = results[i].Err
			}
			calls[i](err)
			ends[i](err)
		}
	}()
	results = h.Store.PutMovies(ctx, ms)
	if len(results) != len(chunk) {
		panic(fmt.Sprintf("store answered %d results for %d movies", len(results), len(chunk)))
	}
	for i, it := range chunk {
		switch r := results[i]; {
		case r.Err != nil:
			it.outcome = Retry
			h.log().Warn("write movie failed, will retry", "id", it.movie.ID, "sequence_number", it.rec.Kinesis.SequenceNumber, "error", r.Err)
		case r.Written:
			it.outcome = Stored
		default:
			it.outcome = Stale
		}
	}
	return nil
}

var errPanic = errors.New("panic in the store")

func (h *Handler) park(ctx context.Context, parks []*item) {
	if len(parks) == 0 {
		return
	}
	rs := make([]ErrorRecord, len(parks))
	for i, it := range parks {
		rs[i] = NewErrorRecord(*it.parked, h.ErrorTTL)
		h.log().Warn("parking record", "reason", it.parked.Reason, "sequence_number", it.parked.SequenceNumber, "movie_id", it.parked.MovieID, "message", Clip(it.parked.Message, 300))
	}
	failed, err := h.Store.Park(ctx, rs)
	if err != nil {
		h.log().Warn("park records failed, will retry", "records", len(failed), "error", err)
	}
	retry := map[string]bool{}
	for _, f := range failed {
		retry[f.ErrorID] = true
	}
	for i, it := range parks {
		if retry[rs[i].ErrorID] {
			it.outcome = Retry
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
