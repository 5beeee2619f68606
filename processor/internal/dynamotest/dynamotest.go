// Package dynamotest gives the processor's tests the DynamoDB emulator that
// make test starts, and fresh tables in the layout docs/data.md describes.
package dynamotest

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Config loads the SDK configuration for the emulator. Without
// AWS_ENDPOINT_URL_DYNAMODB the test fails under CI=true and is skipped
// elsewhere.
func Config(t testing.TB, opts ...func(*config.LoadOptions) error) aws.Config {
	t.Helper()
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("AWS_ENDPOINT_URL_DYNAMODB is not set: run make test, which starts dynalite")
		}
		t.Skip("AWS_ENDPOINT_URL_DYNAMODB is not set: run make test, which starts dynalite")
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var seq atomic.Int64

// Tables creates a movies table (with the byYear index) and an errors table,
// waits until they are active, and deletes them after the test.
func Tables(t testing.TB, c *dynamodb.Client) (movies, errs string) {
	t.Helper()
	ctx := context.Background()
	n := fmt.Sprintf("%d-%d", time.Now().UnixNano(), seq.Add(1))
	movies, errs = "movies-"+n, "errors-"+n
	s := aws.String
	for _, in := range []*dynamodb.CreateTableInput{{
		TableName: &movies, BillingMode: types.BillingModePayPerRequest,
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
	}, {
		TableName: &errs, BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: s("errorId"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: s("errorId"), KeyType: types.KeyTypeHash}},
	}} {
		if _, err := c.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, tbl := range []string{movies, errs} {
			_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(tbl)})
		}
	})
	// dynalite answers CreateTable before the table is ACTIVE.
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	for _, tbl := range []string{movies, errs} {
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tbl)}, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return movies, errs
}
