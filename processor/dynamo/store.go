// Package dynamo stores movies and parked records in DynamoDB.
//
// The movies table is keyed by id. Each item holds the movie.v1 fields under
// their contract names, plus two attributes that order versions:
//
//	_rev  N  scrapedAt in Unix nanoseconds
//	_seq  S  the Kinesis sequence number, zero-padded to 128 digits
//
// A write succeeds only when the item is new or strictly older (a smaller
// _rev, or the same _rev and a smaller _seq), so redelivery and replay change
// nothing. The year index (GSI byYear: year, id) lists movies by year.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/processor"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
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

const writeCondition = "attribute_not_exists(#id) OR #rev < :rev OR (#rev = :rev AND #seq < :seq)"

var conditionNames = map[string]string{"#id": "id", "#rev": AttrRev, "#seq": AttrSeq}

// PutMovie writes m unless the same or a newer version is stored.
func (s *Store) PutMovie(ctx context.Context, m processor.Movie, seq string) (bool, error) {
	item := MovieItem(m, seq)
	_, err := s.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &s.MoviesTable,
		Item:                      item,
		ConditionExpression:       aws.String(writeCondition),
		ExpressionAttributeNames:  conditionNames,
		ExpressionAttributeValues: map[string]types.AttributeValue{":rev": item[AttrRev], ":seq": item[AttrSeq]},
	})
	if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put movie %s: %w", m.ID, err)
	}
	return true, nil
}

// MovieItem is the movies-table item of m read at sequence number seq.
func MovieItem(m processor.Movie, seq string) map[string]types.AttributeValue {
	item := make(map[string]types.AttributeValue, 28)
	item["id"] = &types.AttributeValueMemberS{Value: m.ID}
	item["title"] = &types.AttributeValueMemberS{Value: m.Title}
	item["sourceUrl"] = &types.AttributeValueMemberS{Value: m.SourceURL}
	item["scrapedAt"] = &types.AttributeValueMemberS{Value: m.ScrapedAt.UTC().Format(time.RFC3339Nano)}
	item["runId"] = &types.AttributeValueMemberS{Value: m.RunID}
	item[AttrRev] = &types.AttributeValueMemberN{Value: strconv.FormatInt(m.ScrapedAt.UnixNano(), 10)}
	item[AttrSeq] = &types.AttributeValueMemberS{Value: PadSequence(seq)}
	putS(item, "originalTitle", m.OriginalTitle)
	putS(item, "releaseDate", m.ReleaseDate)
	putS(item, "majorGenre", m.MajorGenre)
	putS(item, "mpaaRating", m.MPAARating)
	putS(item, "distributor", m.Distributor)
	putS(item, "sourceMaterial", m.SourceMaterial)
	putS(item, "creativeType", m.CreativeType)
	putS(item, "director", m.Director)
	putInt(item, "year", m.Year)
	putInt(item, "runtimeMinutes", m.RuntimeMinutes)
	putInt(item, "rottenTomatoesRating", m.RottenTomatoesRating)
	putInt(item, "imdbVotes", m.IMDbVotes)
	putInt(item, "usGross", m.USGross)
	putInt(item, "worldwideGross", m.WorldwideGross)
	putInt(item, "productionBudget", m.ProductionBudget)
	putInt(item, "usDvdSales", m.USDVDSales)
	if m.Adult != nil {
		item["adult"] = &types.AttributeValueMemberBOOL{Value: *m.Adult}
	}
	if m.IMDbRating != nil {
		item["imdbRating"] = &types.AttributeValueMemberN{Value: strconv.FormatFloat(*m.IMDbRating, 'f', -1, 64)}
	}
	if len(m.Genres) > 0 {
		genres := make([]types.AttributeValue, len(m.Genres))
		for i, g := range m.Genres {
			genres[i] = &types.AttributeValueMemberS{Value: g}
		}
		item["genres"] = &types.AttributeValueMemberL{Value: genres}
	}
	return item
}

func putS(item map[string]types.AttributeValue, name string, v *string) {
	if v != nil {
		item[name] = &types.AttributeValueMemberS{Value: *v}
	}
}

func putInt(item map[string]types.AttributeValue, name string, v *processor.Int) {
	if v != nil {
		item[name] = &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(*v), 10)}
	}
}

// PadSequence left-pads a Kinesis sequence number (up to 128 digits) with
// zeros so that string order is numeric order.
func PadSequence(seq string) string {
	const width = 128
	if len(seq) >= width {
		return seq
	}
	return strings.Repeat("0", width-len(seq)) + seq
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
		left, err := s.batchWrite(ctx, reqs)
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

// batchWrite sends reqs and resends what DynamoDB leaves unprocessed. It
// returns the requests still not written.
func (s *Store) batchWrite(ctx context.Context, reqs []types.WriteRequest) ([]types.WriteRequest, error) {
	pause := s.Backoff
	for round := 0; len(reqs) > 0; round++ {
		out, err := s.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.ErrorsTable: reqs},
		})
		if err != nil {
			return reqs, fmt.Errorf("park %d records: %w", len(reqs), err)
		}
		reqs = out.UnprocessedItems[s.ErrorsTable]
		if len(reqs) == 0 {
			return nil, nil
		}
		if round == s.UnprocessedRetries {
			return reqs, fmt.Errorf("park: %d records still unprocessed after %d rounds", len(reqs), round+1)
		}
		select {
		case <-ctx.Done():
			return reqs, ctx.Err()
		case <-time.After(pause):
		}
		pause *= 2
	}
	return nil, nil
}
