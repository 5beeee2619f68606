package contracts_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/contracts/examples"
)

// eachGolden runs f on each golden example of dir ("valid" or "invalid"),
// as a subtest named for the example.
func eachGolden(t *testing.T, dir string, f func(t *testing.T, name string, doc []byte)) {
	t.Helper()
	list := examples.Valid()
	if dir == "invalid" {
		list = examples.Invalid()
	}
	if len(list) < 10 {
		t.Fatalf("examples/%s holds %d examples, want at least 10", dir, len(list))
	}
	for _, e := range list {
		t.Run(e.Name, func(t *testing.T) { f(t, e.Name, e.Data) })
	}
}

func TestValidRecordsPass(t *testing.T) {
	eachGolden(t, "valid", func(t *testing.T, _ string, doc []byte) {
		if err := contracts.Validate(contracts.MovieRecordV1, doc); err != nil {
			t.Fatalf("want valid, got %v", err)
		}
	})
}

// Each invalid example is named <instance path>--<keyword>--<what is wrong>.json,
// with the path's "/" written "." and "root" for the record itself, or
// undecodable--<what is wrong>.json for bytes that are not one JSON value.
func TestInvalidRecordsFailForTheirStatedReason(t *testing.T) {
	eachGolden(t, "invalid", func(t *testing.T, name string, doc []byte) {
		err := contracts.Validate(contracts.MovieRecordV1, doc)
		if strings.HasPrefix(name, "undecodable--") {
			if !errors.Is(err, contracts.ErrNotJSON) {
				t.Fatalf("want ErrNotJSON, got %v", err)
			}
			return
		}
		wantPath, keyword, ok := examples.Example{Name: name}.Violation()
		if !ok {
			t.Fatalf("file name %q is not <path>--<keyword>--<note>", name)
		}
		ve, ok := errors.AsType[*contracts.ValidationError](err)
		if !ok {
			t.Fatalf("want *ValidationError, got %v", err)
		}
		for _, v := range ve.Violations {
			if v.InstancePath == wantPath && v.Keyword == keyword {
				if v.Message == "" {
					t.Errorf("violation %+v has no message", v)
				}
				return
			}
		}
		t.Fatalf("want a %q violation at %q, got %+v", keyword, wantPath, ve.Violations)
	})
}

// A movie.v1 resource is the record's movie fields: every valid record, less
// the fields that only travel on the stream, is a valid resource.
func TestValidRecordsMakeValidMovies(t *testing.T) {
	eachGolden(t, "valid", func(t *testing.T, _ string, doc []byte) {
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "schema")
		delete(m, "traceHeader")
		movie, _ := json.Marshal(m)
		if err := contracts.Validate(contracts.MovieV1, movie); err != nil {
			t.Fatal(err)
		}
		m["traceHeader"] = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled=1"
		movie, _ = json.Marshal(m)
		if err := contracts.Validate(contracts.MovieV1, movie); err == nil {
			t.Fatal("a movie.v1 with a traceHeader passed; the resource must not expose it")
		}
	})
}

func TestErrorRecord(t *testing.T) {
	valid := `{
		"schema": "error-record.v1",
		"errorId": "process#shardId-000000000000#49654938271234567890123456789012345678901234567890",
		"stage": "process",
		"reason": "invalid_record",
		"message": "invalid movie-record.v1: /year: must be <= 2100 but found 2500",
		"validationErrors": [{"instancePath": "/year", "keyword": "maximum", "message": "must be <= 2100 but found 2500"}],
		"payload": "{\"id\":\"tt0111161\"}",
		"payloadEncoding": "utf8",
		"payloadBytes": 18,
		"shardId": "shardId-000000000000",
		"sequenceNumber": "49654938271234567890123456789012345678901234567890",
		"runId": "run-1",
		"occurredAt": "2026-11-26T09:30:00Z",
		"expiresAt": 1800000000
	}`
	if err := contracts.Validate(contracts.ErrorRecordV1, []byte(valid)); err != nil {
		t.Fatalf("valid error record: %v", err)
	}
	tests := map[string]edit{
		"unknown stage":   {`"stage": "process"`, `"stage": "load"`, "/stage", "enum"},
		"unknown reason":  {`"reason": "invalid_record"`, `"reason": "oops"`, "/reason", "enum"},
		"foreign key":     {`"errorId": "process#`, `"errorId": "x#`, "/errorId", "pattern"},
		"bad sequence":    {`"sequenceNumber": "4965`, `"sequenceNumber": "x965`, "/sequenceNumber", "pattern"},
		"unknown field":   {`"runId"`, `"run"`, "", "additionalProperties"},
		"missing payload": {`"payload": "{\"id\":\"tt0111161\"}",`, ``, "", "required"},
	}
	checkEdits(t, contracts.ErrorRecordV1, valid, tests)
}

// A record drained from the on-failure queue carries the batch's
// KinesisBatchInfo as Lambda sent it; a batch whose records left the stream
// is one entry with no payload.
func TestErrorRecordOfAFailedBatch(t *testing.T) {
	const info = `"kinesisBatchInfo": {"shardId": "shardId-000000000001",
		"startSequenceNumber": "49601189658422359378836298521827638475320189012309704722",
		"endSequenceNumber": "49601189658422359378836298522902373528957594348623495186",
		"approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z", "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
		"batchSize": 500, "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"}`
	exhausted := `{"schema": "error-record.v1", "errorId": "process#shardId-000000000001#49601189658422359378836298521827638475320189012309704722",
		"stage": "process", "reason": "exhausted_retries", "message": "RetryAttemptsExhausted", "payload": "{}", "payloadEncoding": "utf8",
		"payloadBytes": 2, "occurredAt": "2026-11-26T09:30:00Z", ` + info + `}`
	expired := `{"schema": "error-record.v1", "errorId": "process#shardId-000000000001#expired#49601189658422359378836298521827638475320189012309704722",
		"stage": "process", "reason": "records_expired", "message": "500 of 500 records left the stream", "payload": "", "payloadEncoding": "utf8",
		"payloadBytes": 0, "occurredAt": "2026-11-26T09:30:00Z", ` + info + `}`
	for name, doc := range map[string]string{"exhausted_retries": exhausted, "records_expired": expired} {
		if err := contracts.Validate(contracts.ErrorRecordV1, []byte(doc)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	checkEdits(t, contracts.ErrorRecordV1, exhausted, map[string]edit{
		"batch info without its stream": {`, "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"`, ``, "/kinesisBatchInfo", "required"},
		"sequence not a number":         {`"startSequenceNumber": "4960`, `"startSequenceNumber": "x960`, "/kinesisBatchInfo/startSequenceNumber", "pattern"},
		"empty batch":                   {`"batchSize": 500`, `"batchSize": 0`, "/kinesisBatchInfo/batchSize", "minimum"},
		"a field Lambda does not send":  {`"batchSize": 500`, `"batchSize": 500, "records": []`, "/kinesisBatchInfo", "additionalProperties"},
	})
}

func TestUnknownContract(t *testing.T) {
	if err := contracts.Validate("movie-record.v9", []byte(`{}`)); !errors.Is(err, contracts.ErrUnknownContract) {
		t.Fatalf("want ErrUnknownContract, got %v", err)
	}
	if _, err := contracts.Schema("nope"); !errors.Is(err, contracts.ErrUnknownContract) {
		t.Fatalf("want ErrUnknownContract, got %v", err)
	}
}

func TestSchemasAreWellFormed(t *testing.T) {
	for _, n := range contracts.Names() {
		raw, err := contracts.Schema(n)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
			Title  string `json:"title"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.Title != string(n) || !strings.HasSuffix(s.ID, "/"+string(n)+".json") {
			t.Errorf("%s: $schema %q, $id %q, title %q", n, s.Schema, s.ID, s.Title)
		}
	}
}

// Validate is safe from many goroutines: the schemas are compiled once and
// shared, and one document's answer never leaks into another's.
func TestValidateConcurrently(t *testing.T) {
	good := examples.Valid()[0].Data
	bad := examples.Invalid()[0].Data
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				doc, wantValid := good, true
				if (g+i)%2 == 0 {
					doc, wantValid = bad, false
				}
				if err := contracts.Validate(contracts.MovieRecordV1, doc); (err == nil) != wantValid {
					t.Errorf("goroutine %d, round %d: err = %v, want valid %v", g, i, err, wantValid)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkValidateMovieRecord validates the record of one film of a
// scraped catalogue page, every field present.
func BenchmarkValidateMovieRecord(b *testing.B) {
	var doc []byte
	for _, e := range examples.Valid() {
		if e.Name == "catalogue-every-field" {
			doc = e.Data
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := contracts.Validate(contracts.MovieRecordV1, doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRun(t *testing.T) {
	valid := `{
		"schema": "run.v1",
		"runId": "run-20261203T053000Z-0a1b2c3d",
		"state": "succeeded",
		"maxPages": 100,
		"pages": 33,
		"pagesUnchanged": 0,
		"published": 3198,
		"rejected": 3,
		"parked": 3,
		"startedAt": "2026-12-03T05:30:00Z",
		"updatedAt": "2026-12-03T05:30:41.5Z",
		"finishedAt": "2026-12-03T05:30:41.5Z",
		"traceId": "1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e",
		"errors": []
	}`
	if err := contracts.Validate(contracts.RunV1, []byte(valid)); err != nil {
		t.Fatalf("valid run: %v", err)
	}
	tests := map[string]edit{
		"unknown state":           {`"state": "succeeded"`, `"state": "done"`, "/state", "enum"},
		"ended without an end":    {`"finishedAt": "2026-12-03T05:30:41.5Z",`, ``, "", "required"},
		"failed without a code":   {`"state": "succeeded"`, `"state": "failed"`, "", "required"},
		"a code but not failed":   {`"errors": []`, `"errors": [], "errorCode": "no_pages"`, "/state", "const"},
		"unknown code":            {`"state": "succeeded"`, `"state": "failed", "errorCode": "oops"`, "/errorCode", "enum"},
		"negative count":          {`"parked": 3`, `"parked": -1`, "/parked", "minimum"},
		"page limit out of range": {`"maxPages": 100`, `"maxPages": 0`, "/maxPages", "minimum"},
		"bad trace id":            {`"traceId": "1-`, `"traceId": "2-`, "/traceId", "pattern"},
		"unknown field":           {`"errors": []`, `"errors": [], "status": "completed"`, "", "additionalProperties"},
	}
	checkEdits(t, contracts.RunV1, valid, tests)
}

// edit is one change to a valid document, and the violation it must cause.
type edit struct{ from, to, wantPath, wantKeyword string }

// checkEdits applies each edit to valid and checks that contract n refuses
// the result with the edit's violation.
func checkEdits(t *testing.T, n contracts.Name, valid string, tests map[string]edit) {
	t.Helper()
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			doc := strings.Replace(valid, tt.from, tt.to, 1)
			if doc == valid {
				t.Fatalf("test edit %q not applied", tt.from)
			}
			ve, ok := errors.AsType[*contracts.ValidationError](contracts.Validate(n, []byte(doc)))
			if !ok {
				t.Fatal("want a *ValidationError")
			}
			for _, v := range ve.Violations {
				if v.InstancePath == tt.wantPath && v.Keyword == tt.wantKeyword {
					return
				}
			}
			t.Fatalf("want %s at %q, got %+v", tt.wantKeyword, tt.wantPath, ve.Violations)
		})
	}
}

func TestViolationMember(t *testing.T) {
	for path, want := range map[string]string{"": "", "/traceHeader": "traceHeader", "/validationErrors/3/message": "validationErrors"} {
		if got := (contracts.Violation{InstancePath: path}).Member(); got != want {
			t.Errorf("Member of %q = %q, want %q", path, got, want)
		}
	}
}
