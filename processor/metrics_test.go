package processor_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/processor"
)

func TestEMF(t *testing.T) {
	var buf bytes.Buffer
	e := processor.EMF{W: &buf, Namespace: "moviepipe", Function: "processor-dev", Now: func() time.Time { return time.UnixMilli(1700000000000) }}
	e.Write(processor.Report{In: 5, Stored: 2, Stale: 1, Retried: 1, Parked: map[processor.Reason]int{processor.ReasonInvalid: 1}, MaxAge: 1500 * time.Millisecond})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 EMF lines, got %d:\n%s", len(lines), buf.String())
	}
	var batch, parked struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function                                                string
		Reason                                                  string
		RecordsIn, RecordsStored, RecordsParked, RecordsRetried int
		RecordAge                                               int64
	}
	if err := json.Unmarshal([]byte(lines[0]), &batch); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &parked); err != nil {
		t.Fatal(err)
	}
	if batch.AWS.Timestamp != 1700000000000 || batch.AWS.CloudWatchMetrics[0].Namespace != "moviepipe" ||
		batch.RecordsIn != 5 || batch.RecordsParked != 1 || batch.RecordsStored != 2 || batch.RecordsRetried != 1 || batch.RecordAge != 1500 || batch.Function != "processor-dev" {
		t.Errorf("batch line %s", lines[0])
	}
	if parked.Reason != "invalid_record" || parked.RecordsParked != 1 || parked.AWS.CloudWatchMetrics[0].Dimensions[0][1] != "Reason" {
		t.Errorf("parked line %s", lines[1])
	}
}
