// Package errortable writes the records the scraper refuses to publish to
// the error table, one PutItem each: the only call the scraper may make there.
package errortable

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/scraper"
)

// API is the part of the DynamoDB client the scraper uses.
type API interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
}

// Table implements scraper.Parker.
type Table struct {
	API  API
	Name string
}

// Park writes every record; it returns the errors of those it could not.
func (t *Table) Park(ctx context.Context, rs []scraper.ErrorRecord) error {
	var errs []error
	for _, r := range rs {
		item, err := attributevalue.MarshalMap(r)
		if err == nil {
			_, err = t.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: item})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("park %s: %w", r.ErrorID, err))
		}
	}
	return errors.Join(errs...)
}
