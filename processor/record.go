// Package processor turns Kinesis records into movies in DynamoDB.
//
// Each record of a batch gets exactly one outcome: stored, stale (an equal or
// newer version is already stored), parked (it can never succeed: it goes to
// the error table with its reason and is done), or retry (it may succeed
// later: it is reported in the batch response so that Lambda delivers it
// again). One bad record never fails the batch, and nothing here panics on
// any input.
package processor

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
)

// Movie is a valid movie-record.v1. Optional fields are nil when unknown.
type Movie struct {
	Schema               string    `json:"schema,omitempty"`
	ID                   string    `json:"id"`
	Title                string    `json:"title"`
	OriginalTitle        *string   `json:"originalTitle,omitempty"`
	Adult                *bool     `json:"adult,omitempty"`
	Year                 *Int      `json:"year,omitempty"`
	ReleaseDate          *string   `json:"releaseDate,omitempty"`
	RuntimeMinutes       *Int      `json:"runtimeMinutes,omitempty"`
	Genres               []string  `json:"genres,omitempty"`
	MajorGenre           *string   `json:"majorGenre,omitempty"`
	MPAARating           *string   `json:"mpaaRating,omitempty"`
	Distributor          *string   `json:"distributor,omitempty"`
	SourceMaterial       *string   `json:"sourceMaterial,omitempty"`
	CreativeType         *string   `json:"creativeType,omitempty"`
	Director             *string   `json:"director,omitempty"`
	RottenTomatoesRating *Int      `json:"rottenTomatoesRating,omitempty"`
	IMDbRating           *float64  `json:"imdbRating,omitempty"`
	IMDbVotes            *Int      `json:"imdbVotes,omitempty"`
	USGross              *Int      `json:"usGross,omitempty"`
	WorldwideGross       *Int      `json:"worldwideGross,omitempty"`
	ProductionBudget     *Int      `json:"productionBudget,omitempty"`
	USDVDSales           *Int      `json:"usDvdSales,omitempty"`
	SourceURL            string    `json:"sourceUrl"`
	ScrapedAt            time.Time `json:"scrapedAt"`
	RunID                string    `json:"runId"`
	TraceHeader          string    `json:"traceHeader,omitempty"`
}

// Int is a JSON integer. JSON Schema counts 57.0 as the integer 57, so Int
// accepts an integral number written with a fraction or an exponent too.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (i *Int) UnmarshalJSON(b []byte) error {
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*i = Int(n)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("%s is not an integer", b)
	}
	*i = Int(f)
	return nil
}

// Reason says why a record was parked. The values are error-record.v1's.
type Reason string

const (
	ReasonInvalid     Reason = "invalid_record"
	ReasonUndecodable Reason = "undecodable"
	ReasonOversized   Reason = "oversized"
	ReasonUnsupported Reason = "unsupported_schema"
	ReasonClockSkew   Reason = "clock_skew"
	ReasonInternal    Reason = "internal"
)

// ParkError is the error for a record that can never succeed.
type ParkError struct {
	Reason     Reason
	Message    string
	Violations []contracts.Violation
}

func (e *ParkError) Error() string { return string(e.Reason) + ": " + e.Message }

// Decode checks one record's data (size, I-JSON, movie-record.v1) and reads
// the movie with encoding/json. Every error it returns is a *ParkError.
func Decode(data []byte, maxBytes int) (Movie, error) {
	var m Movie
	if len(data) > maxBytes {
		return m, &ParkError{Reason: ReasonOversized, Message: fmt.Sprintf("record is %d bytes, the limit is %d", len(data), maxBytes)}
	}
	err := contracts.Validate(contracts.MovieRecordV1, data)
	if errors.Is(err, contracts.ErrNotJSON) {
		return m, &ParkError{Reason: ReasonUndecodable, Message: err.Error()}
	}
	if ve, ok := errors.AsType[*contracts.ValidationError](err); ok {
		reason := ReasonInvalid
		if name := schemaName(data); name != "" && name != string(contracts.MovieRecordV1) {
			reason = ReasonUnsupported
		}
		return m, &ParkError{Reason: reason, Message: ve.Error(), Violations: ve.Violations}
	}
	if err != nil {
		return m, &ParkError{Reason: ReasonInternal, Message: err.Error()}
	}
	if err := json.Unmarshal(data, &m); err != nil {
		// The contract accepted it, so this is our bug, not the record's.
		return Movie{}, &ParkError{Reason: ReasonInternal, Message: "decode valid record: " + err.Error()}
	}
	return m, nil
}

// CheckClock parks a movie stamped later than its record's arrival on the
// stream by more than skew: its producer's clock is wrong, and written, it
// would win over every honest scrape until that time comes.
func CheckClock(m *Movie, arrived time.Time, skew time.Duration) error {
	if ahead := m.ScrapedAt.Sub(arrived); ahead > skew {
		return &ParkError{Reason: ReasonClockSkew, Message: fmt.Sprintf(
			"scrapedAt %s is %s after the record reached the stream (%s); the allowed clock skew is %s",
			m.ScrapedAt.UTC().Format(time.RFC3339Nano), ahead.Round(time.Second), arrived.UTC().Format(time.RFC3339), skew)}
	}
	return nil
}

// schemaName returns the record's "schema" property when the record is a JSON
// object that has a string there.
func schemaName(data []byte) string {
	var head struct {
		Schema any `json:"schema"`
	}
	if json.Unmarshal(data, &head) != nil {
		return ""
	}
	s, _ := head.Schema.(string)
	return s
}
