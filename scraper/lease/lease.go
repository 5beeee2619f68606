// Package lease keeps the scraper's one-run-at-a-time lease in DynamoDB: one
// item, taken and renewed with conditional writes, so that concurrent
// requests cannot both take it.
package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/scraper"
)

// API is the part of the DynamoDB client the lease uses.
type API interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Table implements scraper.Lease on the runs table: the item
// {id: "lease#scrape", runId, expiresAt} (epoch seconds, the table's TTL).
type Table struct {
	API  API
	Name string
	// Now is the clock [time.Now].
	Now func() time.Time
}

const leaseID = "lease#scrape"

type item struct {
	ID        string `dynamodbav:"id"`
	RunID     string `dynamodbav:"runId"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// Acquire implements scraper.Lease: the write succeeds when no run holds
// the lease, its holder's lease has expired, or run already holds it.
func (t *Table) Acquire(ctx context.Context, run string, until time.Time) error {
	err := t.put(ctx, run, until, "attribute_not_exists(id) OR expiresAt < :now OR runId = :run")
	if !conditionFailed(err) {
		return err
	}
	holder, hErr := t.holder(ctx)
	if hErr != nil {
		return hErr
	}
	if holder.RunID == "" { // released meanwhile: try once more
		err = t.put(ctx, run, until, "attribute_not_exists(id) OR expiresAt < :now OR runId = :run")
		if !conditionFailed(err) {
			return err
		}
		return &scraper.BusyError{Run: "unknown"}
	}
	return &scraper.BusyError{Run: holder.RunID, Until: time.Unix(holder.ExpiresAt, 0).UTC()}
}

// Renew implements scraper.Lease.
func (t *Table) Renew(ctx context.Context, run string, until time.Time) error {
	err := t.put(ctx, run, until, "runId = :run AND expiresAt >= :now")
	if conditionFailed(err) {
		return scraper.ErrLeaseLost
	}
	return err
}

// Release implements scraper.Lease.
func (t *Table) Release(ctx context.Context, run string) error {
	v, _ := attributevalue.MarshalMap(map[string]string{":run": run})
	_, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.Name, Key: key(),
		ConditionExpression: aws.String("runId = :run"), ExpressionAttributeValues: v})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release the lease of %s: %w", run, err)
	}
	return nil
}

func (t *Table) put(ctx context.Context, run string, until time.Time, cond string) error {
	it, err := attributevalue.MarshalMap(item{ID: leaseID, RunID: run, ExpiresAt: until.Unix()})
	if err != nil {
		return err
	}
	values, err := attributevalue.MarshalMap(map[string]any{":now": t.now().Unix(), ":run": run})
	if err != nil {
		return err
	}
	_, err = t.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: it, ConditionExpression: &cond, ExpressionAttributeValues: values})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("take the lease for %s: %w", run, err)
	}
	return err
}

func (t *Table) holder(ctx context.Context) (item, error) {
	out, err := t.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.Name, Key: key(), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return item{}, fmt.Errorf("read the lease: %w", err)
	}
	var it item
	if out.Item != nil {
		if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
			return item{}, err
		}
	}
	return it, nil
}

func key() map[string]types.AttributeValue {
	k, _ := attributevalue.MarshalMap(map[string]string{"id": leaseID})
	return k
}

func conditionFailed(err error) bool {
	var cf *types.ConditionalCheckFailedException
	return errors.As(err, &cf)
}

func (t *Table) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}
