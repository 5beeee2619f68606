package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/dynamo"
	"github.com/moviepipe/moviepipe/processor/internal/storetest"
)

// client returns a DynamoDB client for the emulator make test starts. Without
// one the test fails under CI=true and is skipped elsewhere.
func client(t testing.TB, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AWS_ENDPOINT_URL_DYNAMODB is not set: run make test, which starts dynalite")
		}
		t.Skip("AWS_ENDPOINT_URL_DYNAMODB is not set: run make test, which starts dynalite")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg, opts...)
}

var tableSeq atomic.Int64

// Tables creates a fresh movies table (with the byYear index) and errors
// table in the layout docs/data.md describes, and deletes them after the test.
func Tables(t testing.TB, c *dynamodb.Client) (movies, errs string) {
	t.Helper()
	ctx := context.Background()
	n := fmt.Sprintf("%d-%d", time.Now().UnixNano(), tableSeq.Add(1))
	movies, errs = "movies-"+n, "errors-"+n
	s := func(name string) *string { return aws.String(name) }
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   &movies,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: s("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: s("year"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: s("id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: s("byYear"),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: s("year"), KeyType: types.KeyTypeHash},
				{AttributeName: s("id"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &errs,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: s("errorId"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: s("errorId"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	// dynalite answers CreateTable before the table is ACTIVE.
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	for _, tbl := range []string{movies, errs} {
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tbl)}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, tbl := range []string{movies, errs} {
			_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tbl)})
		}
	})
	return movies, errs
}

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
	movies, errs := Tables(t, c)
	return &dynamo.Store{API: c, MoviesTable: movies, ErrorsTable: errs, UnprocessedRetries: 3, Backoff: 10 * time.Millisecond}
}

func TestConformance(t *testing.T) {
	c := client(t)
	storetest.Run(t, func(t *testing.T) storetest.Subject { return subject{newStore(t, c), c} })
}

func TestPadSequence(t *testing.T) {
	a, b := dynamo.PadSequence("99"), dynamo.PadSequence("100")
	if len(a) != 128 || len(b) != 128 || a >= b {
		t.Fatalf("padded %q, %q: want 128 digits in numeric order", a, b)
	}
}
