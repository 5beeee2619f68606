package dynamo_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/query-api/dynamo"
	"github.com/moviepipe/moviepipe/query-api/internal/storetest"
)

// subject is the DynamoDB store on fresh tables, seeded with items in the
// processor's layout (docs/data.md), built here from the contract's examples.
type subject struct {
	*dynamo.Store
	t testing.TB
	c *dynamodb.Client
}

func (s subject) Seed(ctx context.Context, movies []map[string]any) {
	for i, m := range movies {
		item, err := attributevalue.MarshalMap(m)
		if err != nil {
			s.t.Fatal(err)
		}
		// The processor's version attribute, which the API must not show.
		item["_ver"] = &types.AttributeValueMemberS{Value: fmt.Sprintf("%019d", 1_000_000+i) + strings.Repeat("0", 120) + "49650001"}
		if _, err := s.c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: item}); err != nil {
			s.t.Fatal(err)
		}
	}
}

// newSubject creates a movies table with the byYear index in the emulator
// make test starts. Without it the test fails under CI=true, skips elsewhere.
func newSubject(t testing.TB) subject {
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
	c := dynamodb.NewFromConfig(cfg)
	table := "movies-" + strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	s := aws.String
	if _, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: &table, BillingMode: types.BillingModePayPerRequest,
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
	}); err != nil {
		t.Fatal(err)
	}
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := w.Wait(context.Background(), &dynamodb.DescribeTableInput{TableName: &table}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &table}) })
	return subject{Store: &dynamo.Store{API: c, Table: table, YearIndex: "byYear"}, t: t, c: c}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Subject { return newSubject(t) })
}
