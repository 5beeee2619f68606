// Package runs keeps what the scraper needs across its invocations in the
// runs table: the one-run-at-a-time lease (Lease), one status item per run,
// written by each invocation of the run until it ends, and one per
// Idempotency-Key, taken with a conditional write so that two requests with
// the same key cannot both start a run (Table), and what each page held
// when last published (Pages).
package runs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/scraper"
)

// API is the part of the DynamoDB client the runs table's users need.
type API interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// KeepFor is how long a run's status is kept after its last write (the
// table's TTL, expiresAt).
const KeepFor = 30 * 24 * time.Hour

// Table implements scraper.Runs on the runs table: the items
// {id: "run#<runId>", …run.v1, expiresAt} and
// {id: "key#<SHA-256 of the key>", runId, request, expiresAt}.
type Table struct {
	API  API
	Name string
	// Now is the clock [time.Now].
	Now func() time.Time
}

type runItem struct {
	ID string `dynamodbav:"id"`
	scraper.RunRecord
	ExpiresAt int64 `dynamodbav:"expiresAt"`
}

type keyItem struct {
	ID        string `dynamodbav:"id"`
	RunID     string `dynamodbav:"runId"`
	Request   string `dynamodbav:"request"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
}

// Save implements scraper.Runs: the write is conditional on the saved
// status not having ended, nor been written by a later hop.
func (t *Table) Save(ctx context.Context, r scraper.RunRecord) error {
	err := t.put(ctx, r, "attribute_not_exists(id) OR (NOT (#state IN (:succeeded, :failed)) AND (attribute_not_exists(hop) OR hop <= :hop))")
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("save the status of %s: %w", r.RunID, err)
	}
	return nil
}

// Begin implements scraper.Runs: the write is conditional on the saved
// status being of an earlier hop, and not ended.
func (t *Table) Begin(ctx context.Context, r scraper.RunRecord) error {
	err := t.put(ctx, r, "attribute_not_exists(id) OR (NOT (#state IN (:succeeded, :failed)) AND (attribute_not_exists(hop) OR hop < :hop))")
	if conditionFailed(err) {
		return scraper.ErrHopBegun
	}
	if err != nil {
		return fmt.Errorf("begin hop %d of %s: %w", r.Hop, r.RunID, err)
	}
	return nil
}

func (t *Table) put(ctx context.Context, r scraper.RunRecord, cond string) error {
	it, err := attributevalue.MarshalMap(runItem{ID: "run#" + r.RunID, RunRecord: r, ExpiresAt: r.UpdatedAt.Add(KeepFor).Unix()})
	if err != nil {
		return err
	}
	values, err := attributevalue.MarshalMap(map[string]any{":succeeded": string(scraper.StateSucceeded), ":failed": string(scraper.StateFailed), ":hop": r.Hop})
	if err != nil {
		return err
	}
	_, err = t.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: it, ConditionExpression: &cond,
		ExpressionAttributeNames: map[string]string{"#state": "state"}, ExpressionAttributeValues: values})
	return err
}

// Load implements scraper.Runs. An item past its expiry, which DynamoDB's
// TTL has not deleted yet, is not kept.
func (t *Table) Load(ctx context.Context, runID string) (scraper.RunRecord, error) {
	var it runItem
	found, err := t.get(ctx, "run#"+runID, &it)
	if err != nil {
		return scraper.RunRecord{}, fmt.Errorf("read the status of %s: %w", runID, err)
	}
	if !found || it.ExpiresAt < t.now().Unix() {
		return scraper.RunRecord{}, scraper.ErrNoRun
	}
	return it.RunRecord, nil
}

// Claim implements scraper.Runs.
func (t *Table) Claim(ctx context.Context, c scraper.KeyClaim, until time.Time) error {
	id := keyID(c.Key)
	it, err := attributevalue.MarshalMap(keyItem{ID: id, RunID: c.RunID, Request: c.Request, ExpiresAt: until.Unix()})
	if err != nil {
		return err
	}
	values, _ := attributevalue.MarshalMap(map[string]int64{":now": t.now().Unix()})
	for range 2 { // a claim that expires between the write and the read is taken again
		_, err = t.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: it,
			ConditionExpression: aws.String("attribute_not_exists(id) OR expiresAt < :now"), ExpressionAttributeValues: values})
		if !conditionFailed(err) {
			if err != nil {
				return fmt.Errorf("claim the idempotency key for %s: %w", c.RunID, err)
			}
			return nil
		}
		var held keyItem
		found, err := t.get(ctx, id, &held)
		if err != nil {
			return fmt.Errorf("read the idempotency key's claim: %w", err)
		}
		if found && held.ExpiresAt >= t.now().Unix() {
			return &scraper.KeyUsedError{Claim: scraper.KeyClaim{Key: c.Key, RunID: held.RunID, Request: held.Request}}
		}
	}
	return errors.New("the idempotency key's claim changed twice while it was taken")
}

// Unclaim implements scraper.Runs.
func (t *Table) Unclaim(ctx context.Context, key, run string) error {
	k, _ := attributevalue.MarshalMap(map[string]string{"id": keyID(key)})
	v, _ := attributevalue.MarshalMap(map[string]string{":run": run})
	_, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.Name, Key: k,
		ConditionExpression: aws.String("runId = :run"), ExpressionAttributeValues: v})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("free the idempotency key of %s: %w", run, err)
	}
	return nil
}

// keyID keys a claim by the key's hash: a client's key is up to 255
// characters of anything visible, the table's key need not carry it.
func keyID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "key#" + hex.EncodeToString(sum[:])
}

func (t *Table) get(ctx context.Context, id string, into any) (bool, error) {
	k, _ := attributevalue.MarshalMap(map[string]string{"id": id})
	out, err := t.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.Name, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return false, err
	}
	return true, attributevalue.UnmarshalMap(out.Item, into)
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
