package contracts_test

import (
	"errors"
	"fmt"

	"github.com/moviepipe/moviepipe/contracts"
)

func ExampleValidate() {
	record := []byte(`{
		"schema": "movie-record.v1",
		"id": "tt0111161",
		"title": "The Shawshank Redemption",
		"year": 1994,
		"sourceUrl": "https://example.com/movies",
		"scrapedAt": "2026-11-26T09:30:00Z",
		"runId": "run-1"
	}`)
	fmt.Println(contracts.Validate(contracts.MovieRecordV1, record))
	// Output: <nil>
}

func ExampleValidationError() {
	record := []byte(`{
		"schema": "movie-record.v1",
		"id": "tt0111161",
		"title": "The Shawshank Redemption",
		"year": 2500,
		"sourceUrl": "https://example.com/movies",
		"scrapedAt": "2026-11-26T09:30:00Z",
		"runId": "run-1"
	}`)
	err := contracts.Validate(contracts.MovieRecordV1, record)
	if ve, ok := errors.AsType[*contracts.ValidationError](err); ok {
		for _, v := range ve.Violations {
			fmt.Printf("%s %s: %s\n", v.InstancePath, v.Keyword, v.Message)
		}
	}
	// Output: /year maximum: must be <= 2100 but found 2500
}

func ExampleValidate_notJSON() {
	err := contracts.Validate(contracts.MovieRecordV1, []byte(`{"id": "tt01`))
	fmt.Println(errors.Is(err, contracts.ErrNotJSON))
	// Output: true
}
