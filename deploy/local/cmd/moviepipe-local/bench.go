package main

import (
	"cmp"
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// row is one line of the benchmark table.
type row struct{ Area, What, Figure, Goal, How string }

// benchPage is the page every end-to-end run scrapes: all 3,201 films in the
// workshop's table layout.
const benchPage = "/workshop/table?all=1"

// bench measures what the issues set goals for and prints one table; with
// -out it writes docs/benchmarks.md too. Figures are medians of -runs runs.
func bench(ctx context.Context, root string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	runs := fs.Int("runs", 3, "end-to-end runs per variant (medians are reported)")
	out := fs.String("out", "", "also write the table, with the machine, to this markdown file")
	goBenches := fs.Bool("go", true, "run the modules' Go benchmarks too (-go=false: the end-to-end runs only)")
	traceOnly := fs.Bool("trace-only", false, "measure only the size of a full-catalogue run's trace, and print its row")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	say := func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	fail := func(err error) int {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	say("tracing: a full-catalogue run on the sample site with the scraper's default sampling")
	ts, err := measureTraceSize(ctx, root)
	if err != nil {
		return fail(fmt.Errorf("trace size: %w", err))
	}
	if *traceOnly {
		printTable(stdout, ts.rows())
		return 0
	}
	e2e, err := endToEnd(ctx, root, *runs, say)
	if err != nil {
		return fail(err)
	}
	rows := append(append(e2e.rows(), ts.rows()...), artifactRows(root)...)
	if *goBenches {
		mods, err := moduleRows(ctx, root, say)
		if err != nil {
			return fail(err)
		}
		rows = append(rows, mods...)
	}
	printTable(stdout, rows)
	if *out != "" {
		if err := writeMarkdown(*out, rows, *runs); err != nil {
			return fail(err)
		}
		say("wrote %s", *out)
	}
	return 0
}

// endToEndRuns is what the end-to-end runs measured. The first run also
// measures cold starts, the query API and the processor's peak RSS.
type endToEndRuns struct {
	ours, theirs []result
	// direct is our pipeline with the functions calling the emulators
	// directly, without the IAM front doors: what the doors cost.
	direct     []result
	floors     []floor
	coldStarts map[string][]time.Duration
	queryLat   []time.Duration
	rss        int64
}

// endToEnd runs our pipeline, the workshop's way and the floor side by side
// on fresh emulators, n times.
func endToEnd(ctx context.Context, root string, n int, say func(string, ...any)) (*endToEndRuns, error) {
	say("end to end: the workshop's way, our pipeline and the emulators' floor, %d runs each, on %s", n, benchPage)
	e := &endToEndRuns{}
	for i := range n {
		if err := e.run(ctx, root, i == 0, say); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// run is one end-to-end run on a cloud of its own: the workshop's way, ours,
// then the floor of what ours stored.
func (e *endToEndRuns) run(ctx context.Context, root string, first bool, say func(string, ...any)) error {
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard, ScrapePath: benchPage, Env: traceEveryRecord, NoTraceLimit: true})
	if err != nil {
		return err
	}
	defer c.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	kin := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(c.State.Kinesis) })
	w, err := workshopWay(ctx, kin, c.DynamoDB(), c.State.Site+benchPage)
	if err != nil {
		return fmt.Errorf("workshop way: %w", err)
	}
	o, err := ourWay(ctx, c, kin)
	if err != nil {
		return fmt.Errorf("our way: %w", err)
	}
	f, err := measureFloor(ctx, c, kin)
	if err != nil {
		return err
	}
	say("  run %d: ours %d films, store %.0f/s, whole %.1fs; workshop %d films, store %.0f/s, whole %.1fs; floor: %d records into a stream %.1fs (%d resent), %d items into a table %.1fs",
		len(e.ours)+1, o.Films, o.storeRate(), o.Whole.Seconds(), w.Films, w.storeRate(), w.Whole.Seconds(),
		f.Records, f.Stream.Seconds(), f.Retried, f.Items, f.Table.Seconds())
	e.ours, e.theirs, e.floors = append(e.ours, o), append(e.theirs, w), append(e.floors, f)
	if first {
		e.coldStarts = measureColdStarts(c, 20)
		e.queryLat = measureQuery(ctx, c, 300)
		e.rss = measureRSS(ctx, c, 10000)
	}
	c.Close()
	d, err := directRun(ctx, root)
	if err != nil {
		return fmt.Errorf("our way without front doors: %w", err)
	}
	say("  run %d without the front doors: whole %.1fs", len(e.ours), d.Whole.Seconds())
	e.direct = append(e.direct, d)
	return nil
}

// directRun is our pipeline on a cloud of its own whose functions call the
// emulators directly, their calls unchecked.
func directRun(ctx context.Context, root string) (result, error) {
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard, ScrapePath: benchPage, NoFrontDoors: true, Env: traceEveryRecord, NoTraceLimit: true})
	if err != nil {
		return result{}, err
	}
	defer c.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	return ourWay(ctx, c, kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(c.State.Kinesis) }))
}

// rows is the end-to-end part of the table.
func (e *endToEndRuns) rows() []row {
	mo, mw := medianResult(e.ours), medianResult(e.theirs)
	rows := []row{
		{"end to end", "store phase (stream → table), ours", fmt.Sprintf("%.0f films/s (%.1f× the workshop's)", mo.storeRate(), mo.storeRate()/mw.storeRate()), "", "first record on the stream → last film stored"},
		{"end to end", "store phase, the workshop's way", fmt.Sprintf("%.0f films/s", mw.storeRate()), "", "GetRecords by 100, PutItem in sequence"},
		{"end to end", "whole run (trigger → all stored), ours", fmt.Sprintf("%.0f films/s (%.1fs)", mo.wholeRate(), mo.Whole.Seconds()), fmt.Sprintf("≥ 2× the workshop's: %.1f×", mo.wholeRate()/mw.wholeRate()), "POST /scrapes through the local API Gateway"},
		{"end to end", "whole run, the workshop's way", fmt.Sprintf("%.0f films/s (%.1fs)", mw.wholeRate(), mw.Whole.Seconds()), "", "fetch, parse, PutRecords by 500 with key \"default\", then store"},
		{"end to end", "freshness scrape → stored, ours", fmt.Sprintf("p50 %s, p99 %s", ms(mo.FreshP50), ms(mo.FreshP99)), "", "PutRecords start → processor segment end (X-Ray)"},
		{"end to end", "freshness, the workshop's way", fmt.Sprintf("p50 %s, p99 %s", ms(mw.FreshP50), ms(mw.FreshP99)), "", "arrival on the stream → PutItem done"},
	}
	if len(e.direct) > 0 {
		md := medianResult(e.direct)
		rows = append(rows, row{"end to end", "whole run, ours, without the IAM front doors", fmt.Sprintf("%.0f films/s (%.1fs): the doors took %+.0f%%", md.wholeRate(), md.Whole.Seconds(), (mo.Whole.Seconds()/md.Whole.Seconds()-1)*100), "",
			"the same on a cloud whose functions call the emulators directly (cloud.Options.NoFrontDoors); compare with the whole run above"})
	}
	rows = append(rows, floorRows(e.floors, e.ours)...)
	names := slices.Sorted(maps.Keys(e.coldStarts))
	for _, n := range names {
		rows = append(rows, row{"cold start", n, ms(median(e.coldStarts[n])), "", "exec → first Runtime API /next, median of 20"})
	}
	if lat := slices.Sorted(slices.Values(e.queryLat)); len(lat) > 0 {
		rows = append(rows, row{"query API", "GET /movies/{id} through the local API Gateway", fmt.Sprintf("p50 %s, p99 %s", ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100])), "", fmt.Sprintf("%d sequential requests", len(lat))})
	}
	if e.rss > 0 {
		rows = append(rows, row{"processor", "peak RSS, one 10,000-record batch", fmt.Sprintf("%.1f MB", float64(e.rss)/1024), "", "VmHWM of the bootstrap process"})
	}
	return rows
}

// floorRows are the floor's rows: each figure from the run whose figure is
// the median.
func floorRows(fs []floor, ours []result) []row {
	if len(fs) == 0 {
		return nil
	}
	s := medianBy(fs, func(f floor) float64 { return f.Stream.Seconds() })
	t := medianBy(fs, func(f floor) float64 { return f.Table.Seconds() })
	type pair struct {
		whole time.Duration
		f     floor
	}
	pairs := make([]pair, len(fs))
	for i := range fs {
		pairs[i] = pair{ours[i].Whole, fs[i]}
	}
	r := medianBy(pairs, func(p pair) float64 { return p.whole.Seconds() / p.f.Bound().Seconds() })
	resent := ""
	if s.Retried > 0 {
		resent = fmt.Sprintf(", %d resent", s.Retried)
	}
	return []row{
		{"end to end", "floor: the page's records into a fresh stream (PutRecords, as the scraper)", fmt.Sprintf("%.1fs for %d records (%.0f/s%s)", s.Stream.Seconds(), s.Records, float64(s.Records)/s.Stream.Seconds(), resent), "",
			"our run's records read back from the live stream, put into a fresh stream of as many shards: ≤ 500 records and 5 MiB a call, one call at a time"},
		{"end to end", "floor: the same items into a fresh table (conditional PutItem, 16 in flight)", fmt.Sprintf("%.1fs for %d items (%.0f/s)", t.Table.Seconds(), t.Items, float64(t.Items)/t.Table.Seconds()), "",
			"our run's items scanned from the movies table, written to a fresh table of the same keys and index with the processor's condition"},
		{"end to end", "whole run ÷ floor, ours", fmt.Sprintf("%.2f× (%.1fs ÷ %.1fs)", r.whole.Seconds()/r.f.Bound().Seconds(), r.whole.Seconds(), r.f.Bound().Seconds()), "",
			"per run: our whole run ÷ max(stream, table); publishing and storing overlap in a pipeline, so the longer of the two is the floor"},
	}
}

// medianBy is the element of xs whose key is the median.
func medianBy[T any](xs []T, key func(T) float64) T {
	s := slices.Clone(xs)
	slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return s[len(s)/2]
}

// artifactRows are the sizes of what make build wrote.
func artifactRows(root string) []row {
	var rows []row
	for _, svc := range cloud.Services {
		if st, err := os.Stat(filepath.Join(root, "dist", svc, "bootstrap")); err == nil {
			z, _ := os.Stat(filepath.Join(root, "dist", svc+".zip"))
			rows = append(rows, row{"artifacts", svc + " bootstrap (linux/arm64, stripped) / zip", fmt.Sprintf("%.1f MB / %.1f MB", mb(st.Size()), mb(z.Size())), "", "make build"})
		}
	}
	return rows
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

// printTable prints rows in columns as wide as their widest cell.
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AREA\tWHAT\tFIGURE\tGOAL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Area, r.What, r.Figure, r.Goal)
	}
	_ = tw.Flush()
}

func writeMarkdown(path string, rows []row, runs int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\nWritten by `make bench` (`moviepipe-local bench -out docs/benchmarks.md`) on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s, %s. End-to-end figures are medians of %d runs; each run starts fresh emulators and runs on them, side by side, the workshop's way, our pipeline and the floor, on the same page (`/workshop/table?all=1`, all 3,201 films in the workshop's table layout). The floor is what the emulators alone take for our run's storage work: the records our scraper published, read back and put into a fresh stream with the scraper's calls, and the items our processor stored, written into a fresh table with its conditional `PutItem`, 16 in flight. Our pipeline's timed runs sample every record (`SCRAPE_TRACE_PER_PAGE` and `SCRAPE_TRACE_PER_RUN` at 10000), to time each by its processor segment, on a local X-Ray daemon whose trace document size limit is lifted; the tracing row is one more run, on the sample site's pages with the deployed defaults and the limit in force. Go benchmark figures are the median of %d runs, with Go's default collector settings; the processor's CPU rows run on one core (`-cpu 1`), as a fractional Lambda CPU share, and compare their CPU per record with the budget of the function's `MemorySize` in the packaged CloudFormation (`make package`): a saturated shard, 1,000 records a second, must fit its share of a vCPU (MemorySize/1,769). No figure here is asserted by a test, except that the full-catalogue trace stays under a quarter of X-Ray's limit (`TestScrapeStoreServeTrace`). The machine is a shared cloud VM: the same benchmark binary varies by ±30%% from one minute to the next, so compare figures from one `make bench`, not across days.\n\n", cpuModel(), runtime.NumCPU(), goVersion(), runtime.GOOS+"/"+runtime.GOARCH, runs, benchRuns)
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
	s := slices.Sorted(slices.Values(ds))
	return s[len(s)/2]
}

func medianResult(rs []result) result {
	m := medianBy(rs, result.storeRate)
	w := medianBy(rs, result.wholeRate)
	m.Whole, m.Films = w.Whole, w.Films
	f := medianBy(rs, func(r result) float64 { return float64(r.FreshP50) })
	m.FreshP50, m.FreshP99 = f.FreshP50, f.FreshP99
	return m
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
