package runs

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/scraper"
)

// Lease implements scraper.Lease on the runs table: the item
// {id: "lease#scrape", runId, expiresAt} (epoch seconds, the table's TTL).
type Lease struct {
	API  API
	Name string
	// Now is the clock [time.Now].
	Now func() time.Time
}

const leaseID = "lease#scrape"

type leaseItem struct {
	ID        string `dynamodbav:"id"`
	RunID     string `dynamodbav:"runId"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// Acquire implements scraper.Lease: the write succeeds when no run holds
// the lease, its holder's lease has expired, or run already holds it.
func (t *Lease) Acquire(ctx context.Context, run string, until time.Time) error {
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
func (t *Lease) Renew(ctx context.Context, run string, until time.Time) error {
	err := t.put(ctx, run, until, "runId = :run AND expiresAt >= :now")
	if conditionFailed(err) {
		return scraper.ErrLeaseLost
	}
	return err
}

// Release implements scraper.Lease.
func (t *Lease) Release(ctx context.Context, run string) error {
	v, _ := attributevalue.MarshalMap(map[string]string{":run": run})
	_, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.Name, Key: leaseKey(),
		ConditionExpression: aws.String("runId = :run"), ExpressionAttributeValues: v})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("release the lease of %s: %w", run, err)
	}
	return nil
}

func (t *Lease) put(ctx context.Context, run string, until time.Time, cond string) error {
	it, err := attributevalue.MarshalMap(leaseItem{ID: leaseID, RunID: run, ExpiresAt: until.Unix()})
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

func (t *Lease) holder(ctx context.Context) (leaseItem, error) {
	var it leaseItem
	if _, err := (&Table{API: t.API, Name: t.Name}).get(ctx, leaseID, &it); err != nil {
		return leaseItem{}, fmt.Errorf("read the lease: %w", err)
	}
	return it, nil
}

func leaseKey() map[string]types.AttributeValue {
	k, _ := attributevalue.MarshalMap(map[string]string{"id": leaseID})
	return k
}

func (t *Lease) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}
