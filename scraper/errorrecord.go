package scraper

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

// ErrorRecord is an error-record.v1 with stage "scrape".
type ErrorRecord struct {
	Schema           string                `json:"schema" dynamodbav:"schema"`
	ErrorID          string                `json:"errorId" dynamodbav:"errorId"`
	Stage            string                `json:"stage" dynamodbav:"stage"`
	Reason           string                `json:"reason" dynamodbav:"reason"`
	Message          string                `json:"message" dynamodbav:"message"`
	ValidationErrors []contracts.Violation `json:"validationErrors,omitempty" dynamodbav:"validationErrors,omitempty"`
	Payload          string                `json:"payload" dynamodbav:"payload"`
	PayloadEncoding  string                `json:"payloadEncoding" dynamodbav:"payloadEncoding"`
	PayloadBytes     int                   `json:"payloadBytes" dynamodbav:"payloadBytes"`
	PayloadTruncated bool                  `json:"payloadTruncated,omitempty" dynamodbav:"payloadTruncated,omitempty"`
	MovieID          string                `json:"movieId,omitempty" dynamodbav:"movieId,omitempty"`
	SourceURL        string                `json:"sourceUrl,omitempty" dynamodbav:"sourceUrl,omitempty"`
	RunID            string                `json:"runId,omitempty" dynamodbav:"runId,omitempty"`
	TraceHeader      string                `json:"traceHeader,omitempty" dynamodbav:"traceHeader,omitempty"`
	OccurredAt       string                `json:"occurredAt" dynamodbav:"occurredAt"`
	ExpiresAt        int64                 `json:"expiresAt,omitempty" dynamodbav:"expiresAt,omitempty"`
}

// ErrorTTL is how long the error table keeps a scrape entry.
const ErrorTTL = 30 * 24 * time.Hour

// newErrorRecord parks a record the contract refused (or that could not be
// built), keyed by run, page and position.
func newErrorRecord(runID string, page, index int, p Provenance, rec Record, err error) ErrorRecord {
	e := base(runID, fmt.Sprintf("p%di%d", page+1, index), p, rec.Data)
	e.Reason, e.Message = "invalid_record", contracts.Clip(err.Error(), contracts.ErrorRecordV1Limits().Message)
	if ve, ok := errors.AsType[*contracts.ValidationError](err); ok {
		e.ValidationErrors = contracts.ErrorViolations(ve.Violations)
	} else {
		e.Reason = "internal"
	}
	e.MovieID = rec.ID
	e.dropInvalidProvenance()
	return e
}

// dropInvalidProvenance clears the optional fields that would break
// error-record.v1: a refused record's own id may be why it was refused.
func (e *ErrorRecord) dropInvalidProvenance() {
	doc, err := json.Marshal(e)
	if err != nil {
		return
	}
	ve, ok := errors.AsType[*contracts.ValidationError](contracts.Validate(contracts.ErrorRecordV1, doc))
	if !ok {
		return
	}
	for _, v := range ve.Violations {
		switch v.Member() {
		case "movieId":
			e.MovieID = ""
		case "sourceUrl":
			e.SourceURL = ""
		case "traceHeader":
			e.TraceHeader = ""
		}
	}
}

func publishFailed(runID string, p Provenance, f publish.Failure) ErrorRecord {
	e := base(runID, f.Key, p, f.Data)
	e.Reason, e.Message, e.MovieID = "publish_failed", contracts.Clip("not published after every retry: "+f.Reason, contracts.ErrorRecordV1Limits().Message), f.Key
	e.dropInvalidProvenance()
	return e
}

func base(runID, key string, p Provenance, payload []byte) ErrorRecord {
	kept := contracts.NewErrorPayload(payload)
	return ErrorRecord{
		Schema: string(contracts.ErrorRecordV1), ErrorID: "scrape#" + runID + "#" + key, Stage: "scrape",
		Payload: kept.Text, PayloadEncoding: kept.Encoding, PayloadBytes: kept.Bytes, PayloadTruncated: kept.Truncated,
		SourceURL: p.SourceURL, RunID: runID, TraceHeader: p.TraceHeader,
		OccurredAt: p.ScrapedAt.UTC().Format(time.RFC3339Nano), ExpiresAt: p.ScrapedAt.Add(ErrorTTL).Unix(),
	}
}
