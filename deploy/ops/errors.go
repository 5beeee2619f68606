// Package ops reads and redrives the error table: the records the scraper
// refused to publish and the processor parked, and the records of the
// batches the processor's event source mapping gave up on, which it reads
// back from the stream by the on-failure queue's messages. It works against
// the local cloud and AWS alike, through the SDK's standard configuration.
package ops

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/moviepipe/moviepipe/contracts"
)

// Entry is an error-record.v1 as the table stores it.
type Entry struct {
	Schema           string                `dynamodbav:"schema,omitempty" json:"schema,omitempty"`
	ErrorID          string                `dynamodbav:"errorId" json:"errorId"`
	Stage            string                `dynamodbav:"stage" json:"stage"`
	Reason           string                `dynamodbav:"reason" json:"reason"`
	Message          string                `dynamodbav:"message" json:"message"`
	ValidationErrors []contracts.Violation `dynamodbav:"validationErrors,omitempty" json:"validationErrors,omitempty"`
	Payload          string                `dynamodbav:"payload" json:"payload"`
	PayloadEncoding  string                `dynamodbav:"payloadEncoding" json:"payloadEncoding"`
	PayloadBytes     int                   `dynamodbav:"payloadBytes" json:"payloadBytes"`
	PayloadTruncated bool                  `dynamodbav:"payloadTruncated,omitempty" json:"payloadTruncated,omitempty"`
	MovieID          string                `dynamodbav:"movieId,omitempty" json:"movieId,omitempty"`
	SourceURL        string                `dynamodbav:"sourceUrl,omitempty" json:"sourceUrl,omitempty"`
	RunID            string                `dynamodbav:"runId,omitempty" json:"runId,omitempty"`
	TraceHeader      string                `dynamodbav:"traceHeader,omitempty" json:"traceHeader,omitempty"`
	ShardID          string                `dynamodbav:"shardId,omitempty" json:"shardId,omitempty"`
	SequenceNumber   string                `dynamodbav:"sequenceNumber,omitempty" json:"sequenceNumber,omitempty"`
	KinesisBatchInfo *BatchInfo            `dynamodbav:"kinesisBatchInfo,omitempty" json:"kinesisBatchInfo,omitempty"`
	OccurredAt       string                `dynamodbav:"occurredAt" json:"occurredAt"`
	ExpiresAt        int64                 `dynamodbav:"expiresAt,omitempty" json:"expiresAt,omitempty"`
}

// Raw returns the parked record's bytes.
func (e Entry) Raw() ([]byte, error) {
	if e.PayloadEncoding == "base64" {
		return base64.StdEncoding.DecodeString(e.Payload)
	}
	return []byte(e.Payload), nil
}

// Table is the error table, the stream records are redriven to, and the
// stream's on-failure queue.
type Table struct {
	DynamoDB *dynamodb.Client
	Kinesis  *kinesis.Client
	SQS      *sqs.Client
	Errors   string // table name
	Stream   string // stream name
	Queue    string // on-failure queue name
	// TTL is how long an entry parked here stays [DefaultTTL, the
	// processor's ERROR_TTL_DAYS default].
	TTL time.Duration
}

// DefaultTTL is how long the error table keeps an entry parked here.
const DefaultTTL = 30 * 24 * time.Hour

// Filter selects entries; empty fields match everything.
type Filter struct {
	Reason, Stage string
	IDs           []string
}

func (f Filter) match(e Entry) bool {
	if f.Reason != "" && e.Reason != f.Reason || f.Stage != "" && e.Stage != f.Stage {
		return false
	}
	if len(f.IDs) == 0 {
		return true
	}
	for _, id := range f.IDs {
		if id == e.ErrorID {
			return true
		}
	}
	return false
}

// List returns the matching entries, oldest first.
func (t *Table) List(ctx context.Context, f Filter) ([]Entry, error) {
	var out []Entry
	p := dynamodb.NewScanPaginator(t.DynamoDB, &dynamodb.ScanInput{TableName: &t.Errors, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", t.Errors, err)
		}
		var entries []Entry
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &entries); err != nil {
			return nil, err
		}
		for _, e := range entries {
			if f.match(e) {
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OccurredAt < out[j].OccurredAt })
	return out, nil
}

// Outcome is what redrive did with one entry.
type Outcome struct {
	ErrorID string
	Done    bool   // put on the stream and removed from the table
	Why     string // why not, or what was done
}

// Redrive puts each matching entry's record back on the stream, after
// checking that it now satisfies movie-record.v1 (the fix may be in the data
// or in the contract's consumer), and removes the entry once the stream has
// it. A truncated or still-invalid record stays parked. With dryRun nothing
// changes.
func (t *Table) Redrive(ctx context.Context, f Filter, dryRun bool) ([]Outcome, error) {
	entries, err := t.List(ctx, f)
	if err != nil {
		return nil, err
	}
	var out []Outcome
	for _, e := range entries {
		o := Outcome{ErrorID: e.ErrorID}
		raw, err := e.Raw()
		switch {
		case err != nil:
			o.Why = "payload does not decode: " + err.Error()
		case e.Reason == ReasonRecordsExpired:
			o.Why = "its records had left the stream before they were read back: nothing to redrive (the entry expires with the table's TTL)"
		case e.PayloadTruncated:
			o.Why = fmt.Sprintf("payload was cut to %d of %d bytes: cannot redrive", len(raw), e.PayloadBytes)
		default:
			if verr := contracts.Validate(contracts.MovieRecordV1, raw); verr != nil {
				o.Why = "still not a valid movie-record.v1: " + verr.Error()
				break
			}
			key := e.MovieID
			if key == "" {
				key = e.ErrorID
			}
			if dryRun {
				o.Why = "would put on " + t.Stream + " with partition key " + key
				break
			}
			if _, err := t.Kinesis.PutRecord(ctx, &kinesis.PutRecordInput{StreamName: &t.Stream, Data: raw, PartitionKey: &key}); err != nil {
				return out, fmt.Errorf("put %s: %w", e.ErrorID, err)
			}
			if _, err := t.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &t.Errors,
				Key: map[string]types.AttributeValue{"errorId": &types.AttributeValueMemberS{Value: e.ErrorID}}}); err != nil {
				return out, fmt.Errorf("the record of %s is on the stream but its entry stays: %w", e.ErrorID, err)
			}
			o.Done, o.Why = true, "put on "+t.Stream
		}
		out = append(out, o)
	}
	return out, nil
}

// ErrNoEntries is returned when a filter matches nothing.
var ErrNoEntries = errors.New("no entry matches")
