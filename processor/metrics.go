package processor

import (
	"encoding/json"
	"io"
	"time"
)

// EMF writes a batch report as CloudWatch embedded metric format lines:
// records in, stored, stale, retried, parked and the oldest record's age by
// Function, and parked records by Function and Reason.
type EMF struct {
	W         io.Writer
	Namespace string
	Function  string
	Now       func() time.Time
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// Write emits the report; errors writing are ignored, as a log line's are.
func (e EMF) Write(r Report) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ts := now().UnixMilli()
	parked := 0
	for _, n := range r.Parked {
		parked += n
	}
	line := map[string]any{
		"_aws": emfMeta{Timestamp: ts, CloudWatchMetrics: []emfDirective{{
			Namespace: e.Namespace, Dimensions: [][]string{{"Function"}},
			Metrics: []emfMetric{
				{"RecordsIn", "Count"}, {"RecordsStored", "Count"}, {"RecordsStale", "Count"},
				{"RecordsRetried", "Count"}, {"RecordsParked", "Count"}, {"RecordAge", "Milliseconds"},
			},
		}}},
		"Function":       e.Function,
		"RecordsIn":      r.In,
		"RecordsStored":  r.Stored,
		"RecordsStale":   r.Stale,
		"RecordsRetried": r.Retried,
		"RecordsParked":  parked,
		"RecordAge":      r.MaxAge.Milliseconds(),
	}
	enc := json.NewEncoder(e.W)
	_ = enc.Encode(line)
	for reason, n := range r.Parked {
		_ = enc.Encode(map[string]any{
			"_aws": emfMeta{Timestamp: ts, CloudWatchMetrics: []emfDirective{{
				Namespace: e.Namespace, Dimensions: [][]string{{"Function", "Reason"}},
				Metrics: []emfMetric{{"RecordsParked", "Count"}},
			}}},
			"Function":      e.Function,
			"Reason":        string(reason),
			"RecordsParked": n,
		})
	}
}
