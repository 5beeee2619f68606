package processor_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/contracts/examples"
	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/internal/memstore"
)

// sampleEvent is testdata/events/kinesis-batch.json, the event
// moviepipe-local invoke is shown with (docs/local-cloud.md): a Kinesis
// batch of one valid record and one invalid one, both golden examples of
// the contract; -update writes it again from them.
func sampleEvent(t *testing.T) events.KinesisEvent {
	path := filepath.Join("testdata", "events", "kinesis-batch.json")
	if *update {
		var valid, invalid []byte
		for _, e := range examples.Valid() {
			if e.Name == "catalogue-accented-title" {
				valid = e.Data
			}
		}
		for _, e := range examples.Invalid() {
			if e.Name == "title--type--null-title" {
				invalid = e.Data
			}
		}
		b, _ := json.MarshalIndent(event(1, valid, invalid), "", " ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// The sample event stores its valid film and parks its invalid record with
// the reason, failing nothing: what invoking it on the local cloud shows.
func TestSampleKinesisBatch(t *testing.T) {
	s := memstore.New()
	h, reports := newHandler(s)
	resp, err := h.Handle(t.Context(), sampleEvent(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v, want none", failures(resp))
	}
	if _, found, _ := s.Movie(t.Context(), "mv-le-fabuleux-destin-d-amelie-poulain-2001-0b7e11c2"); !found {
		t.Error("the valid film is not stored")
	}
	if r := (*reports)[0]; r.Stored != 1 || r.Parked[processor.ReasonInvalid] != 1 {
		t.Errorf("report %+v, want 1 stored, 1 parked as %s", r, processor.ReasonInvalid)
	}
}
