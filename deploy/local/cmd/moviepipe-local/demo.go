package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// demo runs the whole pipeline once: it starts the local cloud, triggers a
// scrape of the sample catalogue through the local API Gateway as a user
// would (a SigV4-signed POST /scrapes), shows progress until every published
// record is stored or parked, prints a summary, fetches one film through
// GET /movies/{id}, draws that film's trace, and stops everything.
func demo(ctx context.Context, root string, getenv func(string) string, stdout, stderr io.Writer) int {
	logPath := filepath.Join(root, ".moviepipe", "demo.log")
	_ = os.MkdirAll(filepath.Dir(logPath), 0o755)
	logFile, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	defer logFile.Close()
	say := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }

	say("moviepipe demo: the whole pipeline on this machine (functions' logs: %s)", rel(root, logPath))
	start := time.Now()
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: logFile, ScrapeURL: getenv("SCRAPE_URL"), ScrapeProfile: getenv("SCRAPE_PROFILE")})
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	defer c.Close()
	say("local cloud ready in %.1fs: api %s, site %s/films, console %s", time.Since(start).Seconds(), c.State.API, c.State.Site, c.State.Console)

	// Trigger the scrape as a user would.
	say("\nPOST %s/scrapes  (signed with SigV4)", c.State.API)
	trigger := time.Now()
	run, err := watch(ctx, c, scrape(ctx, c), trigger, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "\nmoviepipe-local: %v (the functions' logs: %s)\n", err, logPath)
		return 1
	}
	if !summarize(ctx, c, run, trigger, say, stdout, stderr) {
		return 1
	}
	perms := c.Permissions()
	printPermissions(stdout, perms)
	stopping := time.Now()
	c.Close()
	say("\nlocal cloud stopped in %.1fs; the demo took %.1fs in all", time.Since(stopping).Seconds(), time.Since(start).Seconds())
	if len(perms.Denied) > 0 {
		fmt.Fprintln(stderr, "moviepipe-local: calls were denied: a permission the functions need is missing from their serverless.yml")
		return 1
	}
	return 0
}

// summarize prints the run's figures, one film through the API and that
// film's trace; false when the film cannot be read.
func summarize(ctx context.Context, c *cloud.Cloud, run demoRun, trigger time.Time, say func(string, ...any), stdout, stderr io.Writer) bool {
	db := c.DynamoDB()
	elapsed := run.lastWrite.Sub(trigger)
	segs := c.XRay().Trace(run.report.TraceID)
	fresh, _ := storeTimes(segs)
	p50, p99 := quantile(fresh, 0.50).Round(time.Millisecond), quantile(fresh, 0.99).Round(time.Millisecond)
	say("\nsummary of run %s", run.report.RunID)
	say("  films stored        %d", run.stored)
	say("  records parked      %d%s", run.parked, reasons(ctx, db, c.State.Exports["moviepipe-local-ErrorsTableName"]))
	say("  pages fetched       %d", run.report.PagesFetched)
	say("  trigger→last write  %.1fs", elapsed.Seconds())
	say("  throughput          %.0f films/s", float64(run.stored)/elapsed.Seconds())
	say("  freshness           scrape→stored p50 %s, p99 %s (%d processor segments in the trace: the sampled records, each delivery)", p50, p99, len(fresh))

	// One film, through the API.
	id := pickFilm(ctx, c.State.API, xraylocal.Films(segs))
	say("\nGET %s/movies/%s", c.State.API, id)
	code, body, err := get(ctx, c.State.API+"/movies/"+id)
	if err != nil || code != http.StatusOK {
		fmt.Fprintf(stderr, "moviepipe-local: GET the film: %d %v %s\n", code, err, body)
		return false
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, body, "  ", "  ")
	say("  %d OK\n  %s", code, pretty.String())

	// The film's trace.
	say("\nthe trace of %s, from the HTTP trigger through Kinesis into DynamoDB:", id)
	xraylocal.Print(stdout, run.report.TraceID, xraylocal.Waterfall(xraylocal.Film(segs, id)), 40)
	say("  (all of it, by page: %s/traces/%s; the run's progress: %s/runs/%s)", c.State.Console, run.report.TraceID, c.State.Console, run.report.TraceID)
	return true
}

// post sends a POST signed with the local cloud's operator credentials, as
// the scraper's AWS_IAM method requires and as a user's SDK or CLI signs it.
func post(ctx context.Context, c *cloud.Cloud, url string, body []byte) (int, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if err := c.Sign(req, body, "execute-api"); err != nil {
		return 0, nil, err
	}
	return do(req)
}

func get(ctx context.Context, url string) (int, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	return do(req)
}

func do(req *http.Request) (int, []byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// pickFilm chooses, of the films the trace followed (the sampled records),
// the best known one (the most IMDb votes) that the API serves.
func pickFilm(ctx context.Context, api string, traced []string) string {
	best, votes := "", -1.0
	for _, id := range traced {
		code, body, err := get(ctx, api+"/movies/"+id)
		var m struct {
			IMDbVotes float64 `json:"imdbVotes"`
		}
		if err != nil || code != http.StatusOK || json.Unmarshal(body, &m) != nil {
			continue
		}
		if m.IMDbVotes > votes {
			best, votes = id, m.IMDbVotes
		}
	}
	if best == "" {
		return "tt0000000"
	}
	return best
}

func count(ctx context.Context, db *dynamodb.Client, table string) int {
	n := 0
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, Select: types.SelectCount})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return n
		}
		n += int(out.Count)
	}
	return n
}

// reasons lists the parked records' top reasons.
func reasons(ctx context.Context, db *dynamodb.Client, table string) string {
	counts := map[string]int{}
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, ProjectionExpression: aws.String("stage, reason, message")})
	examples := map[string]string{}
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			break
		}
		for _, it := range out.Items {
			key := attr(it, "stage") + "/" + attr(it, "reason")
			counts[key]++
			examples[key] = attr(it, "message")
		}
	}
	if len(counts) == 0 {
		return ""
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	var b strings.Builder
	for i, k := range keys {
		if i == 3 {
			break
		}
		fmt.Fprintf(&b, "\n    %4d × %s: %s", counts[k], k, clip(examples[k], 90))
	}
	return b.String()
}

func attr(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// storeTimes reads a scrape's trace: for each record the processor stored,
// scrape→stored (from the start of the PutRecords that carried it to the end
// of the processor segment that stored it), sorted, and the last write.
func storeTimes(segs []xraylocal.Segment) (fresh []time.Duration, last time.Time) {
	starts := map[string]float64{}
	var walk func(s xraylocal.Segment)
	walk = func(s xraylocal.Segment) {
		if strings.HasPrefix(s.Name, "PutRecords") {
			starts[s.ID] = s.StartTime
		}
		for _, c := range s.Subsegments {
			walk(c)
		}
	}
	for _, s := range segs {
		walk(s)
	}
	end := 0.0
	for _, s := range segs {
		// A PutRecords subsegment's own Kinesis call may arrive as a document
		// of its own too (the SDK streams subsegments): only the processor's count.
		if start, ok := starts[s.ParentID]; ok && s.EndTime > 0 && s.Namespace != "aws" {
			fresh = append(fresh, seconds(s.EndTime-start))
			end = max(end, s.EndTime)
		}
	}
	sort.Slice(fresh, func(i, j int) bool { return fresh[i] < fresh[j] })
	return fresh, time.Unix(0, int64(end*1e9))
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// quantile of sorted durations; 0 when there are none.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}

// progress draws a bar in place on a terminal, and plain lines elsewhere.
type progress struct {
	w        io.Writer
	tty      bool
	last     time.Time
	lastLine string
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty}
}

func (p *progress) show(pages, published, stored, parked int) {
	const total = 3201
	width := 30
	filled := min(width, (stored+parked)*width/total)
	line := fmt.Sprintf("  [%s%s] pages %2d · published %4d · stored %4d · parked %3d",
		strings.Repeat("█", filled), strings.Repeat("·", width-filled), pages, published, stored, parked)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", line)
		return
	}
	if line != p.lastLine && time.Since(p.last) >= time.Second {
		fmt.Fprintln(p.w, strings.TrimSpace(line))
		p.last, p.lastLine = time.Now(), line
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}
