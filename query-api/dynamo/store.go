// Package dynamo reads movies from the movies table (layout: docs/data.md).
//
// A movie is GetItem by id. A listing by year is a Query on the byYear index;
// a listing of every movie is a Scan with a page-sized Limit: each page reads
// only its own items, and a catalogue-wide index would put every movie in one
// hot partition.
package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	queryapi "github.com/moviepipe/moviepipe/query-api"
)

// API is the part of the DynamoDB client the store uses: reads only.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Store implements queryapi.Store.
type Store struct {
	API       API
	Table     string
	YearIndex string
}

// Movie implements queryapi.Store.
func (s *Store) Movie(ctx context.Context, id string) (queryapi.Movie, bool, error) {
	out, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.Table,
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
	})
	if err != nil {
		return nil, false, classify(fmt.Errorf("get movie %s: %w", id, err))
	}
	if out.Item == nil {
		return nil, false, nil
	}
	m, err := MovieJSON(out.Item)
	return m, err == nil, err
}

// List implements queryapi.Store.
func (s *Store) List(ctx context.Context, q queryapi.ListQuery) (queryapi.Page, error) {
	var items []map[string]types.AttributeValue
	var last map[string]types.AttributeValue
	if q.Year != nil {
		in := &dynamodb.QueryInput{
			TableName:                 &s.Table,
			IndexName:                 &s.YearIndex,
			KeyConditionExpression:    aws.String("#y = :y"),
			ExpressionAttributeNames:  map[string]string{"#y": "year"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":y": number(*q.Year)},
			Limit:                     aws.Int32(int32(q.Limit)),
		}
		if q.After != nil && q.After.Year != nil {
			in.ExclusiveStartKey = map[string]types.AttributeValue{
				"id": &types.AttributeValueMemberS{Value: q.After.ID}, "year": number(*q.After.Year),
			}
		}
		out, err := s.API.Query(ctx, in)
		if err != nil {
			return queryapi.Page{}, classify(fmt.Errorf("query year %d: %w", *q.Year, err))
		}
		items, last = out.Items, out.LastEvaluatedKey
	} else {
		in := &dynamodb.ScanInput{TableName: &s.Table, Limit: aws.Int32(int32(q.Limit))}
		if q.After != nil {
			in.ExclusiveStartKey = map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: q.After.ID}}
		}
		out, err := s.API.Scan(ctx, in)
		if err != nil {
			return queryapi.Page{}, classify(fmt.Errorf("scan movies: %w", err))
		}
		items, last = out.Items, out.LastEvaluatedKey
	}
	page := queryapi.Page{Movies: make([]queryapi.Movie, 0, len(items))}
	for _, item := range items {
		m, err := MovieJSON(item)
		if err != nil {
			return queryapi.Page{}, err
		}
		page.Movies = append(page.Movies, m)
	}
	if id, ok := last["id"].(*types.AttributeValueMemberS); ok {
		page.Next = &queryapi.Key{ID: id.Value}
		if y, ok := last["year"].(*types.AttributeValueMemberN); ok {
			n, err := strconv.Atoi(y.Value)
			if err != nil {
				return queryapi.Page{}, fmt.Errorf("last key year %q: %w", y.Value, err)
			}
			page.Next.Year = &n
		}
	}
	return page, nil
}

func number(n int) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
}

// MovieJSON turns a movies-table item into its movie.v1 resource: every
// attribute under its name, less the internal ones that start with "_".
func MovieJSON(item map[string]types.AttributeValue) (queryapi.Movie, error) {
	m := make(map[string]any, len(item))
	for k, v := range item {
		if strings.HasPrefix(k, "_") {
			continue
		}
		val, err := value(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		m[k] = val
	}
	return json.Marshal(m)
}

func value(v types.AttributeValue) (any, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, nil
	case *types.AttributeValueMemberN:
		return json.Number(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return v.Value, nil
	case *types.AttributeValueMemberL:
		out := make([]any, len(v.Value))
		for i, e := range v.Value {
			var err error
			if out[i], err = value(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *types.AttributeValueMemberSS:
		return v.Value, nil
	default:
		return nil, fmt.Errorf("unexpected attribute type %T", v)
	}
}

// classify marks errors that may pass on retry as queryapi.ErrUnavailable:
// throttling, DynamoDB's own 5xx, a request that could not be sent
// (connection refused) and the call's deadline.
func classify(err error) error {
	if _, ok := errors.AsType[*smithyhttp.RequestSendError](err); ok || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", queryapi.ErrUnavailable, err)
	}
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok {
		switch apiErr.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
			"InternalServerError", "ServiceUnavailable":
			return fmt.Errorf("%w: %w", queryapi.ErrUnavailable, err)
		}
	}
	return err
}
