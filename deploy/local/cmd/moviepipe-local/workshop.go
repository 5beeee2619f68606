package main

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// workshopWay is the workshop's pipeline, written in Go for a fair race on
// the same emulators: fetch one page, parse it, PutRecords in chunks of 500
// with the single partition key "default", then read the stream in batches
// of 100 and PutItem every record in sequence.
func workshopWay(ctx context.Context, kin *kinesis.Client, db *dynamodb.Client, pageURL string) (run result, err error) {
	suffix := fmt.Sprint(time.Now().UnixNano())
	stream, table := "workshop-"+suffix, "workshop-"+suffix
	dropStream, err := freshStream(ctx, kin, stream, 1)
	if err != nil {
		return run, err
	}
	defer dropStream()
	dropTable, err := freshTable(ctx, db, &dynamodb.CreateTableInput{TableName: &table, BillingMode: dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: dtypes.KeyTypeHash}}})
	if err != nil {
		return run, err
	}
	defer dropTable()

	start := time.Now()
	resp, err := http.Get(pageURL)
	if err != nil {
		return run, err
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		return run, err
	}
	var rows [][]byte
	doc.Find("table.movieTable > tbody > tr").Each(func(i int, tr *goquery.Selection) {
		title := strings.TrimSpace(tr.Find("td.primaryTitle").Text())
		year := strings.TrimSpace(tr.Find("td.startYear").Text())
		rows = append(rows, fmt.Appendf(nil, `{"id":"row-%d","title":%q,"year":%q}`, i, title, year))
	})
	for lo := 0; lo < len(rows); lo += 500 {
		var entries []ktypes.PutRecordsRequestEntry
		for _, r := range rows[lo:min(lo+500, len(rows))] {
			entries = append(entries, ktypes.PutRecordsRequestEntry{Data: r, PartitionKey: aws.String("default")})
		}
		if _, err := kin.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: &stream, Records: entries}); err != nil {
			return run, err
		}
	}
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: &stream})
	if err != nil {
		return run, err
	}
	it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &stream, ShardId: shards.Shards[0].ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
	if err != nil {
		return run, err
	}
	iter := it.ShardIterator
	stored := 0
	var first time.Time
	var fresh []time.Duration
	for stored < len(rows) {
		out, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(100)})
		if err != nil {
			return run, err
		}
		iter = out.NextShardIterator
		for _, rec := range out.Records {
			arrived := aws.ToTime(rec.ApproximateArrivalTimestamp)
			if first.IsZero() || arrived.Before(first) {
				first = arrived
			}
			item := map[string]dtypes.AttributeValue{"id": &dtypes.AttributeValueMemberS{Value: fmt.Sprintf("row-%d", stored)},
				"record": &dtypes.AttributeValueMemberS{Value: string(rec.Data)}}
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
				return run, err
			}
			fresh = append(fresh, time.Since(arrived))
			stored++
		}
	}
	end := time.Now()
	return newResult(stored, end.Sub(start), end.Sub(first), fresh), nil
}

// result is one run's figures.
type result struct {
	Films              int
	Whole, Store       time.Duration
	FreshP50, FreshP99 time.Duration
}

func newResult(films int, whole, store time.Duration, fresh []time.Duration) result {
	sort.Slice(fresh, func(i, j int) bool { return fresh[i] < fresh[j] })
	r := result{Films: films, Whole: whole, Store: store}
	if len(fresh) > 0 {
		r.FreshP50 = fresh[len(fresh)/2]
		r.FreshP99 = fresh[min(len(fresh)-1, len(fresh)*99/100)]
	}
	return r
}

func (r result) storeRate() float64 { return float64(r.Films) / r.Store.Seconds() }
func (r result) wholeRate() float64 { return float64(r.Films) / r.Whole.Seconds() }
