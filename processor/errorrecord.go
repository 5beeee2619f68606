package processor

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/moviepipe/moviepipe/contracts"
)

// ErrorRecord is an error-record.v1: what the error table keeps of a parked
// record.
type ErrorRecord struct {
	Schema           string                `json:"schema" dynamodbav:"schema"`
	ErrorID          string                `json:"errorId" dynamodbav:"errorId"`
	Stage            string                `json:"stage" dynamodbav:"stage"`
	Reason           Reason                `json:"reason" dynamodbav:"reason"`
	Message          string                `json:"message" dynamodbav:"message"`
	ValidationErrors []contracts.Violation `json:"validationErrors,omitempty" dynamodbav:"validationErrors,omitempty"`
	Payload          string                `json:"payload" dynamodbav:"payload"`
	PayloadEncoding  string                `json:"payloadEncoding" dynamodbav:"payloadEncoding"`
	PayloadBytes     int                   `json:"payloadBytes" dynamodbav:"payloadBytes"`
	PayloadTruncated bool                  `json:"payloadTruncated,omitempty" dynamodbav:"payloadTruncated,omitempty"`
	MovieID          string                `json:"movieId,omitempty" dynamodbav:"movieId,omitempty"`
	SourceURL        string                `json:"sourceUrl,omitempty" dynamodbav:"sourceUrl,omitempty"`
	ShardID          string                `json:"shardId,omitempty" dynamodbav:"shardId,omitempty"`
	SequenceNumber   string                `json:"sequenceNumber,omitempty" dynamodbav:"sequenceNumber,omitempty"`
	RunID            string                `json:"runId,omitempty" dynamodbav:"runId,omitempty"`
	TraceHeader      string                `json:"traceHeader,omitempty" dynamodbav:"traceHeader,omitempty"`
	OccurredAt       string                `json:"occurredAt" dynamodbav:"occurredAt"`
	ExpiresAt        int64                 `json:"expiresAt,omitempty" dynamodbav:"expiresAt,omitempty"`
}

// NewErrorRecord builds the error-table entry of a parked record. Its key is
// the record's place in the stream and its time the record's arrival, so
// parking the same record again writes the same entry. What a broken record
// says about itself (id, run, trace header, URL) is kept only where it is
// valid in an error record.
func NewErrorRecord(p Parked, ttl time.Duration) ErrorRecord {
	shard := p.ShardID
	if shard == "" {
		shard = "unknown"
	}
	e := ErrorRecord{
		Schema:           string(contracts.ErrorRecordV1),
		ErrorID:          "process#" + shard + "#" + p.SequenceNumber,
		Stage:            "process",
		Reason:           p.Reason,
		Message:          contracts.Clip(p.Message, contracts.ErrorRecordV1Limits().Message),
		Payload:          p.Payload.Text,
		PayloadEncoding:  p.Payload.Encoding,
		PayloadBytes:     p.Payload.Bytes,
		PayloadTruncated: p.Payload.Truncated,
		MovieID:          p.MovieID,
		SourceURL:        p.SourceURL,
		ShardID:          p.ShardID,
		SequenceNumber:   p.SequenceNumber,
		RunID:            p.RunID,
		TraceHeader:      p.TraceHeader,
		OccurredAt:       p.ArrivedAt.UTC().Format(time.RFC3339Nano),
		ExpiresAt:        p.ArrivedAt.Add(ttl).Unix(),
	}
	if e.Message == "" {
		e.Message = string(p.Reason)
	}
	if len(p.Violations) > 0 {
		e.ValidationErrors = contracts.ErrorViolations(p.Violations)
	}
	e.dropInvalidProvenance()
	return e
}

// dropInvalidProvenance removes the optional provenance fields that break
// error-record.v1 (a parked record's own trace header may be the reason it
// was parked).
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
		case "runId":
			e.RunID = ""
		case "traceHeader":
			e.TraceHeader = ""
		case "shardId":
			e.ShardID = ""
		case "sequenceNumber":
			e.SequenceNumber = ""
		}
	}
}
