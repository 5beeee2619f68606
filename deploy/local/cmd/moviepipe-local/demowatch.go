package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// answer is the API's answer to the demo's scrape.
type answer struct {
	status int
	report struct {
		RunID, TraceID, Status string
		PagesFetched           int
		RecordsPublished       int
		RecordsRejected        int
		Errors                 []string
	}
	err error
}

// scrape sends the signed POST /scrapes; its answer comes on the channel.
func scrape(ctx context.Context, c *cloud.Cloud) <-chan answer {
	answers := make(chan answer, 1)
	go func() {
		var a answer
		var body []byte
		a.status, body, a.err = post(ctx, c, c.State.API+"/scrapes", []byte(`{}`))
		if a.err == nil {
			a.err = json.Unmarshal(body, &a.report)
		}
		answers <- a
	}()
	return answers
}

// demoRun is the scrape as the demo watched it.
type demoRun struct {
	answer
	stored, parked int
	lastWrite      time.Time
}

// watch shows the pipeline's progress until every record the scrape
// published or refused is stored or parked and nothing is left in flight.
func watch(ctx context.Context, c *cloud.Cloud, answers <-chan answer, trigger time.Time, stdout io.Writer) (demoRun, error) {
	db := c.DynamoDB()
	movies, errs := c.State.Exports["moviepipe-local-MoviesTableName"], c.State.Exports["moviepipe-local-ErrorsTableName"]
	bar := newProgress(stdout)
	defer bar.done()
	run := demoRun{lastWrite: trigger}
	var got *answer
	stable := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return run, errors.New("interrupted")
		case a := <-answers:
			got = &a
			if a.err != nil {
				return run, fmt.Errorf("the scrape failed: %w", a.err)
			}
			if a.status != http.StatusOK && a.status != http.StatusAccepted {
				return run, fmt.Errorf("the scrape failed: %d %+v", a.status, a.report)
			}
		case <-time.After(400 * time.Millisecond):
		}
		read, caughtUp := mappingsRead(c)
		stored := count(ctx, db, movies)
		if stored != run.stored {
			run.lastWrite = time.Now()
		}
		run.stored, run.parked = stored, count(ctx, db, errs)
		bar.show(c.SitePages(), read, run.stored, run.parked)
		if got != nil && busy(c) == 0 && caughtUp && read > 0 && run.stored+run.parked >= got.report.RecordsPublished+got.report.RecordsRejected {
			if stable.IsZero() {
				stable = time.Now()
			} else if time.Since(stable) > time.Second {
				run.answer = *got
				return run, nil
			}
		} else {
			stable = time.Time{}
		}
		if time.Since(trigger) > 5*time.Minute {
			return run, errors.New("the pipeline did not finish within 5 minutes")
		}
	}
}

// mappingsRead is how many records the mappings read, and whether every
// shard is caught up.
func mappingsRead(c *cloud.Cloud) (read int, caughtUp bool) {
	caughtUp = true
	for _, m := range c.Mappings() {
		for _, s := range m {
			read += s.Read
			caughtUp = caughtUp && s.Behind == 0
		}
	}
	return read, caughtUp
}

// busy is how many invocations are running.
func busy(c *cloud.Cloud) int {
	n := 0
	for _, h := range c.Hosts() {
		n += h.Busy()
	}
	return n
}
