package main

import (
	"bufio"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/lambda"
	"github.com/moviepipe/moviepipe/deploy/local/sls"
)

// row is one line of the benchmark table.
type row struct{ Area, What, Figure, Goal, How string }

// bench measures what the issues set goals for and prints one table; with
// -out it writes docs/benchmarks.md too. Figures are medians of -runs runs.
func bench(ctx context.Context, root string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "end-to-end runs per variant (medians are reported)")
	out := fs.String("out", "", "also write the table, with the machine, to this markdown file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var rows []row
	say := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }

	// End to end, side by side on the same emulators and the same page.
	say("end to end: our pipeline and the workshop's way, %d runs each, on /workshop/table?all=1", *runs)
	var ours, theirs []result
	var coldStarts map[string][]time.Duration
	var queryLat []time.Duration
	var rss int64
	for i := range *runs {
		c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard, ScrapePath: "/workshop/table?all=1"})
		if err != nil {
			fmt.Fprintln(stderr, "moviepipe-local:", err)
			return 1
		}
		cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
		kin := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(c.State.Kinesis) })
		w, err := workshopWay(ctx, kin, c.DynamoDB(), c.State.Site+"/workshop/table?all=1")
		if err != nil {
			c.Close()
			fmt.Fprintln(stderr, "moviepipe-local: workshop way:", err)
			return 1
		}
		o, err := ourWay(ctx, c, kin)
		if err != nil {
			c.Close()
			fmt.Fprintln(stderr, "moviepipe-local: our way:", err)
			return 1
		}
		say("  run %d: ours %d films, store %.0f/s, whole %.0f/s; workshop %d films, store %.0f/s, whole %.0f/s",
			i+1, o.Films, o.storeRate(), o.wholeRate(), w.Films, w.storeRate(), w.wholeRate())
		ours, theirs = append(ours, o), append(theirs, w)
		if i == 0 {
			coldStarts = measureColdStarts(c, 20)
			queryLat = measureQuery(ctx, c, 300)
			rss = measureRSS(ctx, c, 10000)
		}
		c.Close()
	}
	mo, mw := medianResult(ours), medianResult(theirs)
	rows = append(rows,
		row{"end to end", "store phase (stream → table), ours", fmt.Sprintf("%.0f films/s", mo.storeRate()), fmt.Sprintf("≥ 5× the workshop's: %.1f×", mo.storeRate()/mw.storeRate()), "first record on the stream → last film stored"},
		row{"end to end", "store phase, the workshop's way", fmt.Sprintf("%.0f films/s", mw.storeRate()), "", "GetRecords by 100, PutItem in sequence"},
		row{"end to end", "whole run (trigger → all stored), ours", fmt.Sprintf("%.0f films/s (%.1fs)", mo.wholeRate(), mo.Whole.Seconds()), fmt.Sprintf("≥ 2× the workshop's: %.1f×", mo.wholeRate()/mw.wholeRate()), "POST /scrapes through the local API Gateway"},
		row{"end to end", "whole run, the workshop's way", fmt.Sprintf("%.0f films/s (%.1fs)", mw.wholeRate(), mw.Whole.Seconds()), "", "fetch, parse, PutRecords by 500 with key \"default\", then store"},
		row{"end to end", "freshness scrape → stored, ours", fmt.Sprintf("p50 %s, p99 %s", ms(mo.FreshP50), ms(mo.FreshP99)), "", "PutRecords start → processor segment end (X-Ray)"},
		row{"end to end", "freshness, the workshop's way", fmt.Sprintf("p50 %s, p99 %s", ms(mw.FreshP50), ms(mw.FreshP99)), "", "arrival on the stream → PutItem done"},
	)
	names := make([]string, 0, len(coldStarts))
	for n := range coldStarts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		rows = append(rows, row{"cold start", n, ms(median(coldStarts[n])), "", "exec → first Runtime API /next, median of 20"})
	}
	if len(queryLat) > 0 {
		sort.Slice(queryLat, func(i, j int) bool { return queryLat[i] < queryLat[j] })
		rows = append(rows, row{"query API", "GET /movies/{id} through the local API Gateway", fmt.Sprintf("p50 %s, p99 %s", ms(queryLat[len(queryLat)/2]), ms(queryLat[len(queryLat)*99/100])), "", fmt.Sprintf("%d sequential requests", len(queryLat))})
	}
	if rss > 0 {
		rows = append(rows, row{"processor", "peak RSS, one 10,000-record batch", fmt.Sprintf("%.1f MB", float64(rss)/1024), "≤ 64 MB heap", "VmHWM of the bootstrap process"})
	}
	for _, svc := range cloud.Services {
		if st, err := os.Stat(filepath.Join(root, "dist", svc, "bootstrap")); err == nil {
			z, _ := os.Stat(filepath.Join(root, "dist", svc+".zip"))
			goal := ""
			if svc == "scraper" {
				goal = "≤ 12 MB"
			}
			rows = append(rows, row{"artifacts", svc + " bootstrap (linux/arm64, stripped) / zip", fmt.Sprintf("%.1f MB / %.1f MB", mb(st.Size()), mb(z.Size())), goal, "make build"})
		}
	}

	// Module benchmarks, against the same kind of emulators.
	say("module benchmarks (go test -bench)")
	// The processor runs with the collector settings its serverless.yml gives
	// it; its CPU figure is shown with Go's defaults too.
	deployed, err := collector(root, "processor")
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard})
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	env := append(os.Environ(), "GOWORK=off", "AWS_ENDPOINT_URL_KINESIS="+c.State.Kinesis, "AWS_ENDPOINT_URL_DYNAMODB="+c.State.DynamoDB,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
	goDefault := []string{"GOGC=100", "GOMEMLIMIT=off"}
	for _, b := range []struct {
		module, pkg, bench, goal, what string
		gc                             []string
	}{
		{"contracts", ".", "ValidateMovieRecord", "", "validate a movie-record.v1 of a scraped page (~800 bytes)", nil},
		{"processor", ".", "BatchNoopStore", "≤ 10 µs, ≤ 30 allocs per record", "decode + validate + item build, 1,000-record batches", deployed},
		{"processor", ".", "BatchNoopStore", "", "the same, with Go's default collector", goDefault},
		{"processor", ".", "BatchDynalite", "", "1,000-record batches into dynalite", deployed},
		{"processor", ".", "PeakHeap10k", "≤ 64 MB", "heap high-water mark, one 10,000-record batch", deployed},
		{"processor", "./tracing", "RecordSegment", "", "X-Ray segment + subsegment of one sampled record", deployed},
		{"scraper", ".", "ParseCatalogue", "≥ 20 MB/s", "HTML parse + extraction, a 250-film catalogue page", nil},
		{"scraper", ".", "Records", "", "build + validate movie-record.v1", nil},
		{"scraper", ".", "Publish", "", "publisher's own cost per record", nil},
		{"query-api", ".", "GetMovie", "≤ 50 µs", "handler overhead with a fake store", nil},
	} {
		figure, err := goBench(ctx, filepath.Join(root, b.module), b.pkg, b.bench, append(env[:len(env):len(env)], b.gc...))
		if err != nil {
			say("  %s %s: %v", b.module, b.bench, err)
			figure = "failed: " + err.Error()
		}
		how := "go test -bench " + b.bench
		if len(b.gc) > 0 {
			how += " (" + strings.Join(b.gc, " ") + ")"
		}
		rows = append(rows, row{b.module, b.what, figure, b.goal, how})
	}
	c.Close()

	printTable(stdout, rows)
	if *out != "" {
		if err := writeMarkdown(*out, rows, *runs); err != nil {
			fmt.Fprintln(stderr, "moviepipe-local:", err)
			return 1
		}
		say("wrote %s", *out)
	}
	return 0
}

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

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)-\d+\s+\d+\s+(.*)$`)

// goBench runs one Go benchmark benchRuns times and returns the figures of
// the median run (by ns/op); a benchmark with sub-benchmarks reports its
// first.
func goBench(ctx context.Context, dir, pkg, name string, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^Benchmark"+name+"$", "-benchmem", "-count", strconv.Itoa(benchRuns), pkg)
	cmd.Dir, cmd.Env = dir, env
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %w", tailLines(string(b), 3), err)
	}
	var first string
	var runs [][]string // each run's fields: ns/op first
	for _, line := range strings.Split(string(b), "\n") {
		if m := benchLine.FindStringSubmatch(line); m != nil && (first == "" || m[1] == first) {
			first = m[1]
			runs = append(runs, strings.Fields(m[2]))
		}
	}
	if len(runs) == 0 {
		return "", fmt.Errorf("no result in %s", tailLines(string(b), 3))
	}
	nsop := func(f []string) float64 { v, _ := strconv.ParseFloat(f[0], 64); return v }
	slices.SortFunc(runs, func(a, b []string) int { return cmp.Compare(nsop(a), nsop(b)) })
	return strings.Join(runs[len(runs)/2], " "), nil
}

// collector is the Go collector's settings (GOGC, GOMEMLIMIT) that a
// service's serverless.yml gives its first function, as NAME=value.
func collector(root, service string) ([]string, error) {
	f, err := sls.Load(filepath.Join(root, service, "serverless.yml"), sls.Options{Stage: "local", Region: "us-east-1"})
	if err != nil {
		return nil, err
	}
	svc, err := f.Service()
	if err != nil {
		return nil, err
	}
	if len(svc.Functions) == 0 {
		return nil, fmt.Errorf("%s: no functions", service)
	}
	var out []string
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, ok := svc.Functions[0].Environment[k]; ok {
			out = append(out, fmt.Sprintf("%s=%v", k, v))
		}
	}
	return out, nil
}

// emulatorBounds says what limits the end-to-end figures here; measured
// with throwaway programs against the pinned emulators (2026-11-26).
//
//go:embed emulator-bounds.md
var emulatorBounds string

// benchRuns is how many times each Go benchmark runs; the median is kept.
const benchRuns = 5

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintf(w, "%-11s %-52s %-38s %s\n", "AREA", "WHAT", "FIGURE", "GOAL")
	for _, r := range rows {
		fmt.Fprintf(w, "%-11s %-52s %-38s %s\n", r.Area, r.What, r.Figure, r.Goal)
	}
}

func writeMarkdown(path string, rows []row, runs int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nWritten by `make bench` (`moviepipe-local bench -out docs/benchmarks.md`) on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s, %s. End-to-end figures are medians of %d runs; each run starts fresh emulators and runs both pipelines on them, side by side, on the same page (`/workshop/table?all=1`, all 3,201 films in the workshop's table layout). Go benchmark figures are the median of %d runs. No figure here is asserted by a test. The machine is a shared cloud VM: the same benchmark binary varies by ±30%% from one minute to the next, so compare figures from one `make bench`, not across days.\n\n", cpuModel(), runtime.NumCPU(), goVersion(), runtime.GOOS+"/"+runtime.GOARCH, runs, benchRuns)
	b.WriteString("| area | what | figure | goal | how |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Area, r.What, strings.ReplaceAll(r.Figure, "|", "/"), r.Goal, r.How)
	}
	b.WriteString("\nThe workshop's way is implemented in Go here (`deploy/local/cmd/moviepipe-local/workshop.go`) so that both run on the same machine, emulators and page: fetch the page, parse it, `PutRecords` in chunks of 500 with the single partition key `default`, then read the stream in batches of 100 and `PutItem` every record in sequence.\n")
	b.WriteString(emulatorBounds)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func medianResult(rs []result) result {
	by := func(less func(a, b result) bool) result {
		s := append([]result(nil), rs...)
		sort.Slice(s, func(i, j int) bool { return less(s[i], s[j]) })
		return s[len(s)/2]
	}
	m := by(func(a, b result) bool { return a.storeRate() < b.storeRate() })
	w := by(func(a, b result) bool { return a.wholeRate() < b.wholeRate() })
	m.Whole = w.Whole
	m.Films = w.Films
	f := by(func(a, b result) bool { return a.FreshP50 < b.FreshP50 })
	m.FreshP50, m.FreshP99 = f.FreshP50, f.FreshP99
	return m
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
