package lease_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/internal/leasetest"
	"github.com/moviepipe/moviepipe/scraper/lease"
)

// client is a DynamoDB client of the emulator make test starts.
func client(t *testing.T) *dynamodb.Client {
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
	return dynamodb.NewFromConfig(cfg)
}

// runsTable makes a table laid out as the shared stack's runs table.
func runsTable(t *testing.T, c *dynamodb.Client) string {
	t.Helper()
	name := fmt.Sprintf("runs-%d", time.Now().UnixNano())
	_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: &name, BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) { o.MinDelay = 10 * time.Millisecond })
	if err := w.Wait(t.Context(), &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestConformance(t *testing.T) {
	c := client(t)
	leasetest.Run(t, func(t *testing.T) scraper.Lease { return &lease.Table{API: c, Name: runsTable(t, c)} })
}
