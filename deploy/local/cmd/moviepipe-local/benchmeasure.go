package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// ourWay triggers a scrape through the API and waits for every film. It
// measures as workshopWay does: the store phase from the first record's
// arrival on the stream (its ApproximateArrivalTimestamp) to the last write
// (the last processor segment's end in the trace).
func ourWay(ctx context.Context, c *cloud.Cloud, kin *kinesis.Client) (result, error) {
	start := time.Now()
	code, body, err := post(ctx, c, c.State.API+"/scrapes", []byte(`{}`))
	if err != nil || (code != http.StatusOK && code != http.StatusAccepted) {
		return result{}, fmt.Errorf("scrape: %d %s: %w", code, body, err)
	}
	var rep struct {
		TraceID          string
		RecordsPublished int
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return result{}, err
	}
	// Every record stored leaves a processor segment in the scrape's trace;
	// segments travel by UDP, so the table's count (read once a second) ends
	// the wait too.
	var fresh []time.Duration
	var last time.Time
	movies := c.State.Exports["moviepipe-local-MoviesTableName"]
	for i := 1; ; i++ {
		fresh, last = storeTimes(c.XRay().Trace(rep.TraceID))
		if len(fresh) >= rep.RecordsPublished || i%10 == 0 && count(ctx, c.DynamoDB(), movies) >= rep.RecordsPublished {
			break
		}
		if time.Since(start) > 5*time.Minute {
			return result{}, fmt.Errorf("%d of %d records stored after 5 minutes", len(fresh), rep.RecordsPublished)
		}
		time.Sleep(100 * time.Millisecond)
	}
	first, err := firstArrival(ctx, kin, c.State.Exports["moviepipe-local-StreamName"])
	if err != nil {
		return result{}, err
	}
	return newResult(rep.RecordsPublished, last.Sub(start), last.Sub(first), fresh), nil
}

// firstArrival is the arrival time of the stream's oldest record.
func firstArrival(ctx context.Context, kin *kinesis.Client, stream string) (time.Time, error) {
	shards, err := kin.ListShards(ctx, &kinesis.ListShardsInput{StreamName: &stream})
	if err != nil {
		return time.Time{}, err
	}
	var first time.Time
	for _, sh := range shards.Shards {
		it, err := kin.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: &stream, ShardId: sh.ShardId, ShardIteratorType: ktypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return time.Time{}, err
		}
		out, err := kin.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1)})
		if err != nil {
			return time.Time{}, err
		}
		for _, r := range out.Records {
			if t := aws.ToTime(r.ApproximateArrivalTimestamp); first.IsZero() || t.Before(first) {
				first = t
			}
		}
	}
	if first.IsZero() {
		return first, fmt.Errorf("stream %s is empty", stream)
	}
	return first, nil
}

func measureColdStarts(c *cloud.Cloud, n int) map[string][]time.Duration {
	out := map[string][]time.Duration{}
	for _, h := range c.Hosts() {
		for range n {
			if d, err := h.ColdStart(); err == nil {
				out[h.Name()] = append(out[h.Name()], d)
			}
		}
	}
	return out
}

func measureQuery(ctx context.Context, c *cloud.Cloud, n int) []time.Duration {
	_, body, err := get(ctx, c.State.API+"/movies?limit=100")
	if err != nil {
		return nil
	}
	var page struct{ Items []struct{ ID string } }
	if json.Unmarshal(body, &page) != nil || len(page.Items) == 0 {
		return nil
	}
	var lat []time.Duration
	for i := range n {
		t := time.Now()
		code, _, err := get(ctx, c.State.API+"/movies/"+page.Items[i%len(page.Items)].ID)
		if err == nil && code == http.StatusOK {
			lat = append(lat, time.Since(t))
		}
	}
	return lat
}

// measureRSS invokes the processor with one n-record batch and reads its
// environment's peak resident set (kB).
func measureRSS(ctx context.Context, c *cloud.Cloud, n int) int64 {
	var h *lambda.Host
	for _, x := range c.Hosts() {
		if strings.HasPrefix(x.Name(), "moviepipe-processor") {
			h = x
		}
	}
	if h == nil {
		return 0
	}
	ev := events.KinesisEvent{}
	for i := range n {
		data := fmt.Appendf(nil, `{"schema":"movie-record.v1","id":"tt%07d","title":"Film %d","year":%d,"genres":["Drama"],"usGross":%d,"sourceUrl":"https://example.com/films?page=1","scrapedAt":"2026-11-26T09:30:00Z","runId":"bench"}`, 8000000+i, i, 1950+i%70, i*1000)
		seq := fmt.Sprintf("4965%044d", i)
		ev.Records = append(ev.Records, events.KinesisEventRecord{EventID: "shardId-000000000000:" + seq, EventSource: "aws:kinesis",
			Kinesis: events.KinesisRecord{Data: data, SequenceNumber: seq, PartitionKey: "k", ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: time.Now()}}})
	}
	payload, _ := json.Marshal(ev)
	h.Recycle()
	if _, err := h.Invoke(ctx, payload, "", true); err != nil {
		return 0
	}
	var peak int64
	for _, pid := range h.PIDs() {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				peak = max(peak, kb)
			}
		}
		f.Close()
	}
	return peak
}
