package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// traceEveryRecord is the scraper's configuration for the end-to-end runs:
// they time each record by its processor segment, so every record is
// sampled and the local daemon keeps the whole trace (cloud.Options.NoTraceLimit).
var traceEveryRecord = map[string]string{"SCRAPE_TRACE_PER_PAGE": "10000", "SCRAPE_TRACE_PER_RUN": "10000"}

// traceSize is a full-catalogue run's trace with the scraper's default
// sampling, as the local X-Ray daemon holds it within X-Ray's limits.
type traceSize struct {
	xraylocal.Summary
	Pages, Published, Films int
}

// measureTraceSize scrapes the sample site's whole catalogue (its pages,
// as TestScrapeStoreServeTrace does) with the deployed defaults and reads
// the size of the run's trace once the run is over, every record stored
// and the functions idle.
func measureTraceSize(ctx context.Context, root string) (traceSize, error) {
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard})
	if err != nil {
		return traceSize{}, err
	}
	defer c.Close()
	code, body, err := post(ctx, c, c.State.API+"/scrapes", []byte(`{}`))
	if err != nil {
		return traceSize{}, fmt.Errorf("scrape: %w", err)
	}
	var rep struct{ RunID, TraceID string }
	if (code != http.StatusOK && code != http.StatusAccepted) || json.Unmarshal(body, &rep) != nil {
		return traceSize{}, fmt.Errorf("scrape: %d %s", code, body)
	}
	movies := c.State.Exports["moviepipe-local-MoviesTableName"]
	var last xraylocal.Summary
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Second) {
		run, err := runStatus(ctx, c, rep.RunID)
		if err != nil {
			return traceSize{}, err
		}
		busy := 0
		for _, h := range c.Hosts() {
			busy += h.Busy()
		}
		if over := run.State != "running" && run.State != "continued"; over && busy == 0 && count(ctx, c.DynamoDB(), movies) >= run.Published {
			// The last segments travel by UDP: done when a second added nothing.
			sum, _ := c.XRay().Summary(rep.TraceID)
			if sum == last {
				films := len(xraylocal.Films(c.XRay().Trace(rep.TraceID)))
				return traceSize{Summary: sum, Pages: run.Pages, Published: run.Published, Films: films}, nil
			}
			last = sum
		}
		if time.Now().After(deadline) {
			return traceSize{}, fmt.Errorf("run %s not over after 5 minutes: %+v", rep.RunID, run)
		}
	}
}

type runReport struct {
	State            string
	Pages, Published int
}

// runStatus is GET /scrapes/{runId}, signed as the API requires.
func runStatus(ctx context.Context, c *cloud.Cloud, runID string) (runReport, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.State.API+"/scrapes/"+runID, nil)
	if err := c.Sign(req, nil, "execute-api"); err != nil {
		return runReport{}, err
	}
	code, body, err := do(req)
	var run runReport
	if err == nil && (code != http.StatusOK || json.Unmarshal(body, &run) != nil) {
		err = fmt.Errorf("GET /scrapes/%s: %d %s", runID, code, body)
	}
	return run, err
}

// rows is the trace size's row, next to X-Ray's limit.
func (t traceSize) rows() []row {
	mark := ""
	if t.LimitExceeded {
		mark = ", LimitExceeded"
	}
	return []row{{"tracing", fmt.Sprintf("a full-catalogue run's trace (sample site: %d pages, %d records published; defaults: 2 sampled a page, 40 a run)", t.Pages, t.Published),
		fmt.Sprintf("%.1f KB in %d segment documents, %d films followed into DynamoDB%s", float64(t.Bytes)/1024, t.Segments, t.Films, mark),
		fmt.Sprintf("< %d KB, X-Ray's trace document size limit: %.0f%% of it", xraylocal.MaxTraceDocument>>10, float64(t.Bytes)/xraylocal.MaxTraceDocument*100),
		"POST /scrapes on the sample site; the sum of the trace's segment documents in the local X-Ray daemon, which drops what passes the limit"}}
}
