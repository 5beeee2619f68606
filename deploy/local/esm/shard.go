package esm

import (
	"context"
	"errors"
	"hash/fnv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// shard polls one shard: a reader hands the records it reads to
// ParallelizationFactor lanes, by partition key, and each lane cuts and
// delivers its batches in order. The ledger knows every record read and
// not yet done, in read order; the checkpoint is the last record of its
// done prefix.
type shard struct {
	m     *Mapping
	id    string
	from  types.ShardIteratorType // where a shard without a checkpoint starts
	lanes []chan []*record

	iter     *string
	lastRead string // the last sequence number handed to a lane

	mu     sync.Mutex
	base   int64 // the index of pending[0]
	seqs   []string
	done   []bool
	lastCP string
}

func newShard(m *Mapping, id string, from types.ShardIteratorType) *shard {
	s := &shard{m: m, id: id, from: from}
	for range m.cfg.ParallelizationFactor {
		// One GetRecords' worth waits per lane: a lane that is retrying
		// stops the reader, as a failing batch blocks its shard on AWS.
		s.lanes = append(s.lanes, make(chan []*record, 1))
	}
	return s
}

// run reads the shard until it ends or ctx does, and waits for its lanes.
func (s *shard) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, in := range s.lanes {
		l := &lane{s: s, in: in}
		wg.Go(func() { l.run(ctx) })
	}
	closed := s.read(ctx)
	for _, in := range s.lanes {
		close(in)
	}
	wg.Wait()
	if closed && ctx.Err() == nil {
		s.m.ended(s.id)
	}
}

// read hands every record of the shard to the lanes and reports whether
// the shard was read to its end (closed by a reshard).
func (s *shard) read(ctx context.Context) bool {
	cfg := s.m.cfg
	limit := int32(min(10000, cfg.BatchSize*cfg.ParallelizationFactor))
	for ctx.Err() == nil {
		if s.iter == nil && !s.renew(ctx) {
			sleep(ctx, time.Second)
			continue
		}
		out, err := s.m.client.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: s.iter, Limit: &limit})
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			s.m.log.Warn("get records", "shard", s.id, "error", err)
			if iteratorGone(err) {
				s.iter = nil // the next one starts after the checkpoint
				continue
			}
			sleep(ctx, time.Second)
			continue
		}
		if !s.dispatch(ctx, out.Records) {
			return false
		}
		s.iter = out.NextShardIterator
		if s.iter == nil {
			return true
		}
		caught := aws.ToInt64(out.MillisBehindLatest) == 0 && len(out.Records) == 0
		s.m.update(s.id, func(st *ShardState) { st.CaughtUp = caught && st.Behind == 0 })
		if len(out.Records) == 0 {
			sleep(ctx, cfg.PollInterval)
		}
	}
	return false
}

// iteratorGone reports whether GetRecords refused the iterator itself: it
// expired (iterators live 5 minutes) or is not valid any more.
func iteratorGone(err error) bool {
	var expired *types.ExpiredIteratorException
	var invalid *types.InvalidArgumentException
	return errors.As(err, &expired) ||
		errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.ErrorMessage()), "iterator")
}

// renew gets an iterator after the last checkpoint: at the first record
// not done yet, or after the last one read when all are done, or at the
// starting position when nothing was read. Records it reads again are
// dropped by dispatch: they are still in the mapping's hands.
func (s *shard) renew(ctx context.Context) bool {
	in := &kinesis.GetShardIteratorInput{StreamName: &s.m.cfg.StreamName, ShardId: &s.id, ShardIteratorType: s.from}
	if first, ok := s.firstUndone(); ok {
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAtSequenceNumber, &first
	} else if s.lastRead != "" {
		in.ShardIteratorType, in.StartingSequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, &s.lastRead
	}
	out, err := s.m.client.GetShardIterator(ctx, in)
	if err != nil {
		if ctx.Err() == nil {
			s.m.log.Warn("shard iterator", "shard", s.id, "error", err)
		}
		return false
	}
	s.iter = out.ShardIterator
	return true
}

// dispatch records the new records in the ledger and hands them to their
// lanes, in order; it returns false when ctx ended.
func (s *shard) dispatch(ctx context.Context, recs []types.Record) bool {
	groups := make([][]*record, len(s.lanes))
	n := 0
	for _, r := range recs {
		seq := aws.ToString(r.SequenceNumber)
		if s.lastRead != "" && compareSeq(seq, s.lastRead) <= 0 {
			continue // read again after a new iterator: already held
		}
		rec := s.m.newRecord(s.id, r, s.hold(seq))
		lane := laneOf(aws.ToString(r.PartitionKey), len(s.lanes))
		groups[lane] = append(groups[lane], rec)
		s.lastRead = seq
		n++
	}
	s.m.update(s.id, func(st *ShardState) { st.Read += n; st.Behind = s.pending() })
	for i, g := range groups {
		if len(g) == 0 {
			continue
		}
		select {
		case s.lanes[i] <- g:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// laneOf keeps each partition key on one lane, so its records stay in
// order: "Lambda can process up to 10 batches in each shard simultaneously.
// If you increase the number of concurrent batches per shard, Lambda still
// ensures in-order processing at the partition-key level" (Lambda developer
// guide, Kinesis and DynamoDB Streams chapters). How AWS spreads keys over
// the batches is not documented; a hash of the key is ours.
func laneOf(key string, lanes int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(lanes))
}

// compareSeq orders two sequence numbers (decimal strings of any length).
func compareSeq(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// hold adds a record to the ledger and returns its index.
func (s *shard) hold(seq string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seqs = append(s.seqs, seq)
	s.done = append(s.done, false)
	return s.base + int64(len(s.seqs)) - 1
}

// finish marks records done and moves the checkpoint over the done prefix.
func (s *shard) finish(recs []*record) {
	s.mu.Lock()
	for _, r := range recs {
		s.done[r.idx-s.base] = true
	}
	n := 0
	for n < len(s.done) && s.done[n] {
		n++
	}
	if n > 0 {
		s.lastCP = s.seqs[n-1]
		s.seqs, s.done, s.base = s.seqs[n:], s.done[n:], s.base+int64(n)
	}
	cp, behind := s.lastCP, len(s.seqs)
	s.mu.Unlock()
	s.m.update(s.id, func(st *ShardState) { st.Checkpoint, st.Behind = cp, behind })
}

func (s *shard) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seqs)
}

// firstUndone returns the sequence number of the first record not done.
func (s *shard) firstUndone() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seqs) == 0 {
		return "", false
	}
	return s.seqs[0], true
}
