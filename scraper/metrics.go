package scraper

import (
	"encoding/json"
	"io"
	"time"
)

// EMF writes a run report as one CloudWatch embedded-metric-format line:
// pages, records published, rejected and failed, by Function.
type EMF struct {
	W         io.Writer
	Namespace string
	Function  string
	Now       func() time.Time
}

// Write emits the report's metrics.
func (e EMF) Write(r Report) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	metric := func(name string) map[string]string { return map[string]string{"Name": name, "Unit": "Count"} }
	_ = json.NewEncoder(e.W).Encode(map[string]any{
		"_aws": map[string]any{
			"Timestamp": now().UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace": e.Namespace, "Dimensions": [][]string{{"Function"}},
				"Metrics": []any{metric("PagesFetched"), metric("PagesUnchanged"), metric("RecordsPublished"), metric("RecordsRejected"), metric("PublishFailures")},
			}},
		},
		"Function": e.Function, "RunId": r.RunID,
		"PagesFetched": r.PagesFetched, "PagesUnchanged": r.PagesUnchanged, "RecordsPublished": r.RecordsPublished,
		"RecordsRejected": r.RecordsRejected, "PublishFailures": r.PublishFailures,
	})
}
