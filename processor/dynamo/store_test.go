package dynamo_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/dynamo"
	"github.com/moviepipe/moviepipe/processor/internal/dynamotest"
	"github.com/moviepipe/moviepipe/processor/internal/storetest"
)

// subject is the DynamoDB store with the reads the conformance suite needs.
type subject struct {
	*dynamo.Store
	c *dynamodb.Client
}

func (s subject) Movie(ctx context.Context, id string) ([]byte, bool, error) {
	out, err := s.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.MoviesTable, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil || out.Item == nil {
		return nil, false, err
	}
	doc, err := ItemJSON(out.Item)
	return doc, true, err
}

// ItemJSON turns a movies-table item into movie.v1 JSON the way a reader
// would: every attribute under its name, less the internal "_" ones.
func ItemJSON(item map[string]types.AttributeValue) ([]byte, error) {
	var m map[string]any
	if err := attributevalue.UnmarshalMap(item, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if strings.HasPrefix(k, "_") {
			delete(m, k)
		}
	}
	return json.Marshal(m)
}

func (s subject) ErrorRecord(ctx context.Context, id string) (processor.ErrorRecord, bool, error) {
	var r processor.ErrorRecord
	out, err := s.c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.ErrorsTable, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"errorId": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil || out.Item == nil {
		return r, false, err
	}
	err = attributevalue.UnmarshalMap(out.Item, &r)
	return r, true, err
}

func newStore(t testing.TB, c *dynamodb.Client) *dynamo.Store {
	movies, errs := dynamotest.Tables(t, c)
	return &dynamo.Store{API: c, MoviesTable: movies, ErrorsTable: errs, UnprocessedRetries: 3, Backoff: 10 * time.Millisecond}
}

func TestConformance(t *testing.T) {
	c := dynamodb.NewFromConfig(dynamotest.Config(t))
	storetest.Run(t, func(t *testing.T) storetest.Subject { return subject{newStore(t, c), c} })
}

// Versions compare as strings in the order of (scrapedAt, sequence number)
// compared as numbers, over the contract's whole range of scrape times.
func TestVersionOrder(t *testing.T) {
	first, last := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 23, 59, 59, 999999999, time.UTC)
	ordered := []string{
		dynamo.Version(first, "1"), dynamo.Version(first, "9"), dynamo.Version(first, "10"),
		dynamo.Version(first.Add(time.Nanosecond), "1"),
		dynamo.Version(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), "49650000000000000000000000000000000000000000000000000000"),
		dynamo.Version(time.Date(2026, 11, 26, 9, 0, 0, 1, time.UTC), "2"),
		dynamo.Version(last, strings.Repeat("9", 127)), dynamo.Version(last, strings.Repeat("9", 128)),
	}
	for i := 1; i < len(ordered); i++ {
		if len(ordered[i]) != 147 || ordered[i-1] >= ordered[i] {
			t.Fatalf("version %d %q is not after %q (or not 147 characters)", i, ordered[i], ordered[i-1])
		}
	}
}
