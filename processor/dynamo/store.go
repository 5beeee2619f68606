// Package dynamo stores movies and parked records in DynamoDB.
//
// The movies table is keyed by id. Each item holds the movie.v1 fields under
// their contract names, plus two attributes that order versions:
//
//	_rev  N  scrapedAt in Unix nanoseconds
//	_seq  S  the Kinesis sequence number, zero-padded to 128 digits
//
// A movie is written only over an item that is strictly older (a smaller
// _rev, or the same _rev and a smaller _seq), so redelivery and replay change
// nothing. The versions are read with BatchGetItem and the newer movies
// written with BatchWriteItem: this relies on Kinesis delivering one
// partition key (the movie id) to one invocation at a time, so nothing else
// writes an id between its read and its write. The year index (GSI byYear:
// year, id) lists movies by year.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/processor"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Store implements processor.Store.
type Store struct {
	API         API
	MoviesTable string
	ErrorsTable string
	// UnprocessedRetries bounds the rounds spent resending UnprocessedItems.
	UnprocessedRetries int
	// Backoff is the first pause between those rounds; it doubles each round.
	Backoff time.Duration
}

// Attribute names of the movies table that are not movie.v1 fields.
const (
	AttrRev = "_rev"
	AttrSeq = "_seq"
)

// PutMovies implements processor.Store.
func (s *Store) PutMovies(ctx context.Context, ms []processor.Versioned) []processor.WriteResult {
	res := make([]processor.WriteResult, len(ms))
	fail := func(err error) []processor.WriteResult {
		for i := range res {
			res[i] = processor.WriteResult{Err: err}
		}
		return res
	}
	bufs := make([]*itemBuf, len(ms))
	for i, m := range ms {
		bufs[i] = itemBufs.Get().(*itemBuf)
		bufs[i].fill(m.Movie, m.Seq)
	}
	// The SDK is done with the items when its calls return; the next chunk
	// reuses them.
	defer func() {
		for _, b := range bufs {
			b.reset()
			itemBufs.Put(b)
		}
	}()
	current, err := s.versions(ctx, bufs)
	if err != nil {
		return fail(err)
	}
	reqs := make([]types.WriteRequest, 0, len(ms))
	index := make([]int, 0, len(ms)) // reqs[k] writes ms[index[k]]
	puts := make([]types.PutRequest, len(ms))
	for i, b := range bufs {
		rev, seq := ms[i].Movie.ScrapedAt.UnixNano(), b.item[AttrSeq].(*types.AttributeValueMemberS).Value
		if cur, ok := current[ms[i].Movie.ID]; ok && (cur.rev > rev || cur.rev == rev && cur.seq >= seq) {
			continue // the table holds the same or a newer version: stale
		}
		puts[i].Item = b.item
		reqs, index = append(reqs, types.WriteRequest{PutRequest: &puts[i]}), append(index, i)
	}
	for start := 0; start < len(reqs); start += batchSize {
		end := min(start+batchSize, len(reqs))
		left, err := s.batchWrite(ctx, s.MoviesTable, reqs[start:end])
		unwritten := map[string]bool{}
		for _, w := range left {
			unwritten[itemID(w.PutRequest.Item)] = true
		}
		for k := start; k < end; k++ {
			i := index[k]
			if id := ms[i].Movie.ID; unwritten[id] {
				res[i] = processor.WriteResult{Err: fmt.Errorf("put movie %s: %w", id, err)}
			} else {
				res[i] = processor.WriteResult{Written: true}
			}
		}
	}
	return res
}

func itemID(item map[string]types.AttributeValue) string {
	id, _ := item["id"].(*types.AttributeValueMemberS)
	if id == nil {
		return ""
	}
	return id.Value
}

type version struct {
	rev int64
	seq string
}

// versions reads the stored versions of the items' ids (consistently),
// resending UnprocessedKeys with a doubling backoff.
func (s *Store) versions(ctx context.Context, bufs []*itemBuf) (map[string]version, error) {
	out := make(map[string]version, len(bufs))
	for start := 0; start < len(bufs); start += 100 {
		keys := make([]map[string]types.AttributeValue, 0, 100)
		for _, b := range bufs[start:min(start+100, len(bufs))] {
			b.key["id"] = b.item["id"]
			keys = append(keys, b.key)
		}
		req := map[string]types.KeysAndAttributes{s.MoviesTable: {
			Keys: keys, ConsistentRead: aws.Bool(true),
			ProjectionExpression:     aws.String("#id, #rev, #seq"),
			ExpressionAttributeNames: map[string]string{"#id": "id", "#rev": AttrRev, "#seq": AttrSeq},
		}}
		pause := s.Backoff
		for round := 0; len(req) > 0; round++ {
			got, err := s.API.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("read versions: %w", err)
			}
			for _, item := range got.Responses[s.MoviesTable] {
				id, _ := item["id"].(*types.AttributeValueMemberS)
				rev, _ := item[AttrRev].(*types.AttributeValueMemberN)
				seq, _ := item[AttrSeq].(*types.AttributeValueMemberS)
				if id == nil || rev == nil || seq == nil {
					continue
				}
				n, _ := strconv.ParseInt(rev.Value, 10, 64)
				out[id.Value] = version{n, seq.Value}
			}
			req = got.UnprocessedKeys
			if len(req) == 0 {
				break
			}
			if round == s.UnprocessedRetries {
				return nil, fmt.Errorf("read versions: keys still unprocessed after %d rounds", round+1)
			}
			if err := sleep(ctx, pause); err != nil {
				return nil, err
			}
			pause *= 2
		}
	}
	return out, nil
}

// itemBuf is one movie's item, its key and the attribute values they point
// to. A batch builds a thousand items a second: itemBufs keeps them between
// chunks, so an item costs one allocation (its formatted values) instead of
// one per attribute.
type itemBuf struct {
	item   map[string]types.AttributeValue
	key    map[string]types.AttributeValue // {"id": …}, to read the stored version
	ss     [16]types.AttributeValueMemberS
	ns     [12]types.AttributeValueMemberN
	genres [16]types.AttributeValueMemberS
	list   [16]types.AttributeValue
	l      types.AttributeValueMemberL
	adult  types.AttributeValueMemberBOOL
}

var itemBufs = sync.Pool{New: func() any {
	return &itemBuf{item: make(map[string]types.AttributeValue, 28), key: make(map[string]types.AttributeValue, 1)}
}}

// reset empties b for its next movie, keeping its maps.
func (b *itemBuf) reset() {
	item, key := b.item, b.key
	clear(item)
	clear(key)
	*b = itemBuf{item: item, key: key}
}

// fill makes b.item the movies-table item of m read at sequence number seq.
func (b *itemBuf) fill(m *processor.Movie, seq string) {
	item := b.item
	ss := b.ss[:0]
	str := func(name, v string) {
		ss = append(ss, types.AttributeValueMemberS{Value: v})
		item[name] = &ss[len(ss)-1]
	}
	str("id", m.ID)
	str("title", m.Title)
	str("sourceUrl", m.SourceURL)
	str("runId", m.RunID)
	for _, f := range [...]struct {
		name string
		v    *string
	}{
		{"originalTitle", m.OriginalTitle}, {"releaseDate", m.ReleaseDate}, {"majorGenre", m.MajorGenre},
		{"mpaaRating", m.MPAARating}, {"distributor", m.Distributor}, {"sourceMaterial", m.SourceMaterial},
		{"creativeType", m.CreativeType}, {"director", m.Director},
	} {
		if f.v != nil {
			str(f.name, *f.v)
		}
	}
	if m.Adult != nil {
		b.adult.Value = *m.Adult
		item["adult"] = &b.adult
	}
	if len(m.Genres) > 0 {
		gs, list := b.genres[:0], b.list[:0] // the contract allows 16; more would be new arrays
		for _, g := range m.Genres {
			gs = append(gs, types.AttributeValueMemberS{Value: g})
			list = append(list, &gs[len(gs)-1])
		}
		b.l.Value = list
		item["genres"] = &b.l
	}

	// The formatted values go into one buffer, which becomes one string:
	// scrapedAt and _seq (strings), then the numbers.
	buf := make([]byte, 0, 512)
	var ends [12]struct {
		name string
		end  int
	}
	n := 0
	mark := func(name string) { ends[n].name, ends[n].end = name, len(buf); n++ }
	buf = m.ScrapedAt.UTC().AppendFormat(buf, time.RFC3339Nano)
	mark("scrapedAt")
	buf = append(append(buf, zeros[:max(0, seqWidth-len(seq))]...), seq...)
	mark(AttrSeq)
	buf = strconv.AppendInt(buf, m.ScrapedAt.UnixNano(), 10)
	mark(AttrRev)
	for _, f := range [...]struct {
		name string
		v    *processor.Int
	}{
		{"year", m.Year}, {"runtimeMinutes", m.RuntimeMinutes}, {"rottenTomatoesRating", m.RottenTomatoesRating},
		{"imdbVotes", m.IMDbVotes}, {"usGross", m.USGross}, {"worldwideGross", m.WorldwideGross},
		{"productionBudget", m.ProductionBudget}, {"usDvdSales", m.USDVDSales},
	} {
		if f.v != nil {
			buf = strconv.AppendInt(buf, int64(*f.v), 10)
			mark(f.name)
		}
	}
	if m.IMDbRating != nil {
		buf = strconv.AppendFloat(buf, *m.IMDbRating, 'f', -1, 64)
		mark("imdbRating")
	}
	all := string(buf)
	str(ends[0].name, all[:ends[0].end])
	str(ends[1].name, all[ends[0].end:ends[1].end])
	for k := 2; k < n; k++ {
		b.ns[k-2].Value = all[ends[k-1].end:ends[k].end]
		item[ends[k].name] = &b.ns[k-2]
	}
}

const seqWidth = 128

var zeros = strings.Repeat("0", seqWidth)

// PadSequence left-pads a Kinesis sequence number (up to 128 digits) with
// zeros so that string order is numeric order.
func PadSequence(seq string) string {
	if len(seq) >= seqWidth {
		return seq
	}
	return zeros[:seqWidth-len(seq)] + seq
}

// batchSize is BatchWriteItem's limit.
const batchSize = 25

// Park writes error records with BatchWriteItem, resending UnprocessedItems
// with a doubling backoff. Entries keyed by errorId overwrite themselves, so a
// replay leaves one entry per record.
func (s *Store) Park(ctx context.Context, rs []processor.ErrorRecord) ([]processor.ErrorRecord, error) {
	byID := make(map[string]processor.ErrorRecord, len(rs))
	var failed []processor.ErrorRecord
	var errs []error
	for start := 0; start < len(rs); start += batchSize {
		chunk := rs[start:min(start+batchSize, len(rs))]
		reqs := make([]types.WriteRequest, 0, len(chunk))
		for _, r := range chunk {
			item, err := attributevalue.MarshalMap(r)
			if err != nil {
				failed = append(failed, r)
				errs = append(errs, fmt.Errorf("marshal error record %s: %w", r.ErrorID, err))
				continue
			}
			byID[r.ErrorID] = r
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		left, err := s.batchWrite(ctx, s.ErrorsTable, reqs)
		if err != nil {
			errs = append(errs, err)
		}
		for _, w := range left {
			if id, ok := w.PutRequest.Item["errorId"].(*types.AttributeValueMemberS); ok {
				failed = append(failed, byID[id.Value])
			}
		}
	}
	return failed, errors.Join(errs...)
}

// batchWrite sends reqs to table and resends what DynamoDB leaves
// unprocessed. It returns the requests still not written.
func (s *Store) batchWrite(ctx context.Context, table string, reqs []types.WriteRequest) ([]types.WriteRequest, error) {
	pause := s.Backoff
	for round := 0; len(reqs) > 0; round++ {
		out, err := s.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table: reqs},
		})
		if err != nil {
			return reqs, fmt.Errorf("write %d items to %s: %w", len(reqs), table, err)
		}
		reqs = out.UnprocessedItems[table]
		if len(reqs) == 0 {
			return nil, nil
		}
		if round == s.UnprocessedRetries {
			return reqs, fmt.Errorf("%d items still unprocessed after %d rounds", len(reqs), round+1)
		}
		if err := sleep(ctx, pause); err != nil {
			return reqs, err
		}
		pause *= 2
	}
	return nil, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
