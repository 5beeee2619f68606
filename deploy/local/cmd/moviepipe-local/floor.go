package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// floor is what the emulators themselves take for a run's storage work,
// with nothing of ours in between: the run's records put into a fresh stream
// as the scraper puts them, and its items written into a fresh table as the
// processor writes them.
type floor struct {
	Records, Items int
	Stream, Table  time.Duration
	// Retried counts the records PutRecords refused and took on a later try.
	Retried int
}

// Bound is the run's floor. Publishing and storing overlap in a pipeline,
// so a run cannot be shorter than the longer of the two.
func (f floor) Bound() time.Duration { return max(f.Stream, f.Table) }

// floorWrites is the processor's WRITE_CONCURRENCY (processor/serverless.yml).
const floorWrites = 16

// measureFloor replays a finished run of ours: the live stream's records
// into a fresh stream, the movies table's items into a fresh table.
func measureFloor(ctx context.Context, c *cloud.Cloud, kin *kinesis.Client) (floor, error) {
	var f floor
	var err error
	if f.Records, f.Retried, f.Stream, err = streamFloor(ctx, kin, c.State.Exports["moviepipe-local-StreamName"]); err != nil {
		return f, fmt.Errorf("stream floor: %w", err)
	}
	if f.Items, f.Table, err = tableFloor(ctx, c.DynamoDB(), c.State.Exports["moviepipe-local-MoviesTableName"]); err != nil {
		return f, fmt.Errorf("table floor: %w", err)
	}
	return f, nil
}

// streamFloor reads every record of the live stream and times putting them
// into a fresh stream of as many shards.
func streamFloor(ctx context.Context, kin *kinesis.Client, live string) (records, retried int, took time.Duration, err error) {
	sum, err := kin.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: &live})
	if err != nil {
		return 0, 0, 0, err
	}
	entries, err := readStream(ctx, kin, live)
	if err != nil {
		return 0, 0, 0, err
	}
	name := fmt.Sprintf("floor-%d", time.Now().UnixNano())
	drop, err := freshStream(ctx, kin, name, aws.ToInt32(sum.StreamDescriptionSummary.OpenShardCount))
	if err != nil {
		return 0, 0, 0, err
	}
	defer drop()
	start := time.Now()
	retried, err = putRecords(ctx, kin, name, entries)
	return len(entries), retried, time.Since(start), err
}

// readStream is every record of a stream, all shards from TRIM_HORIZON to
// the end, as PutRecords entries (data and partition key). The scraper sent
// them call after call, each call's records reaching every shard at once, so
// ordering by arrival rebuilds its calls.
func readStream(ctx context.Context, kin *kinesis.Client, stream string) ([]ktypes.PutRecordsRequestEntry, error) {
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: &stream})
	if err != nil {
		return nil, err
	}
	var recs []ktypes.Record
	for _, sh := range shards.Shards {
		got, err := readShard(ctx, kin, stream, sh.ShardId)
		if err != nil {
			return nil, err
		}
		recs = append(recs, got...)
	}
	slices.SortStableFunc(recs, func(a, b ktypes.Record) int {
		return aws.ToTime(a.ApproximateArrivalTimestamp).Compare(aws.ToTime(b.ApproximateArrivalTimestamp))
	})
	entries := make([]ktypes.PutRecordsRequestEntry, len(recs))
	for i, r := range recs {
		entries[i] = ktypes.PutRecordsRequestEntry{Data: r.Data, PartitionKey: r.PartitionKey}
	}
	return entries, nil
}

// readShard reads one shard from TRIM_HORIZON until a read finds nothing
// and nothing behind.
func readShard(ctx context.Context, kin *kinesis.Client, stream string, shard *string) ([]ktypes.Record, error) {
	it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &stream, ShardId: shard, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		return nil, err
	}
	var recs []ktypes.Record
	for iter := it.ShardIterator; iter != nil; {
		out, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
		if err != nil {
			return nil, err
		}
		recs = append(recs, out.Records...)
		if len(out.Records) == 0 && aws.ToInt64(out.MillisBehindLatest) == 0 {
			break
		}
		iter = out.NextShardIterator
	}
	return recs, nil
}

// Limits of one PutRecords call, as the scraper's publisher keeps them
// (scraper/publish).
const (
	putRecordsMax      = 500
	putRecordsMaxBytes = 5 << 20
	putRecordsAttempts = 5
	putRecordsBackoff  = 100 * time.Millisecond
)

// putRecords puts entries as the scraper's publisher does: in order, calls
// of at most 500 records and 5 MiB, one at a time, resending exactly the
// failed entries of a partial failure after a full-jitter backoff. It
// returns how many entries were resent.
func putRecords(ctx context.Context, kin *kinesis.Client, stream string, entries []ktypes.PutRecordsRequestEntry) (retried int, err error) {
	for _, pending := range recordChunks(entries) {
		for attempt := 1; len(pending) > 0; attempt++ {
			if attempt > putRecordsAttempts {
				return retried, fmt.Errorf("%d records refused %d times", len(pending), putRecordsAttempts)
			}
			if attempt > 1 {
				retried += len(pending)
				select {
				case <-ctx.Done():
					return retried, ctx.Err()
				case <-time.After(rand.N(putRecordsBackoff<<(attempt-2)) + time.Millisecond):
				}
			}
			out, err := kin.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &stream, Records: pending})
			if err != nil {
				return retried, err
			}
			var failed []ktypes.PutRecordsRequestEntry
			for i, r := range out.Records {
				if r.ErrorCode != nil {
					failed = append(failed, pending[i])
				}
			}
			pending = failed
		}
	}
	return retried, nil
}

// recordChunks splits entries into calls of at most 500 records and 5 MiB
// (data and partition keys), in order.
func recordChunks(entries []ktypes.PutRecordsRequestEntry) [][]ktypes.PutRecordsRequestEntry {
	var out [][]ktypes.PutRecordsRequestEntry
	start, size := 0, 0
	for i, e := range entries {
		n := len(e.Data) + len(aws.ToString(e.PartitionKey))
		if i > start && (i-start == putRecordsMax || size+n > putRecordsMaxBytes) {
			out = append(out, entries[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(entries) {
		out = append(out, entries[start:])
	}
	return out
}

// tableFloor scans the live table and times writing its items into a fresh
// table of the same keys and indexes.
func tableFloor(ctx context.Context, db *dynamodb.Client, live string) (items int, took time.Duration, err error) {
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &live})
	if err != nil {
		return 0, 0, err
	}
	all, err := scanTable(ctx, db, live)
	if err != nil {
		return 0, 0, err
	}
	name := fmt.Sprintf("floor-%d", time.Now().UnixNano())
	drop, err := freshTable(ctx, db, tableLike(name, desc.Table))
	if err != nil {
		return 0, 0, err
	}
	defer drop()
	start := time.Now()
	err = putItems(ctx, db, name, all, floorWrites)
	return len(all), time.Since(start), err
}

// tableLike is a table named name with t's attributes, keys, indexes and
// billing mode.
func tableLike(name string, t *dtypes.TableDescription) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{TableName: &name, AttributeDefinitions: t.AttributeDefinitions, KeySchema: t.KeySchema,
		BillingMode: dtypes.BillingModePayPerRequest}
	if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode == dtypes.BillingModeProvisioned {
		in.BillingMode = dtypes.BillingModeProvisioned
		in.ProvisionedThroughput = provisioned(t.ProvisionedThroughput)
	}
	for _, g := range t.GlobalSecondaryIndexes {
		gsi := dtypes.GlobalSecondaryIndex{IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection}
		if in.BillingMode == dtypes.BillingModeProvisioned {
			gsi.ProvisionedThroughput = provisioned(g.ProvisionedThroughput)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	return in
}

func provisioned(d *dtypes.ProvisionedThroughputDescription) *dtypes.ProvisionedThroughput {
	if d == nil {
		return nil
	}
	return &dtypes.ProvisionedThroughput{ReadCapacityUnits: d.ReadCapacityUnits, WriteCapacityUnits: d.WriteCapacityUnits}
}

func scanTable(ctx context.Context, db *dynamodb.Client, table string) ([]map[string]dtypes.AttributeValue, error) {
	var items []map[string]dtypes.AttributeValue
	for p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		items = append(items, out.Items...)
	}
	return items, nil
}

// putItems writes items as the processor does, inFlight at a time.
func putItems(ctx context.Context, db *dynamodb.Client, table string, items []map[string]dtypes.AttributeValue, inFlight int) error {
	next := make(chan map[string]dtypes.AttributeValue)
	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	for w := range inFlight {
		wg.Go(func() {
			for item := range next {
				if err := putItem(ctx, db, table, item); err != nil && errs[w] == nil {
					errs[w] = err
				}
			}
		})
	}
	for _, item := range items {
		next <- item
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// olderThan is the condition of the processor's write (processor/dynamo):
// no item of this id, or an older version of it.
const olderThan = "attribute_not_exists(#id) OR #ver < :ver"

// putItem is the processor's conditional PutItem of an item it stored.
func putItem(ctx context.Context, db *dynamodb.Client, table string, item map[string]dtypes.AttributeValue) error {
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 &table,
		Item:                      item,
		ConditionExpression:       aws.String(olderThan),
		ExpressionAttributeNames:  map[string]string{"#id": "id", "#ver": "_ver"},
		ExpressionAttributeValues: map[string]dtypes.AttributeValue{":ver": item["_ver"]},
	})
	return err
}
