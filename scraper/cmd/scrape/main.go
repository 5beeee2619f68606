// Command scrape fetches and parses a site with the scraper's own code and
// rules, prints one movie-record.v1 per line on stdout and a summary on
// stderr, and publishes nothing. It is how profiles for new sites are made:
// docs/profiles.md.
//
//	go run ./cmd/scrape -url URL [-profile NAME|FILE|JSON] [-max-pages N]
//
// SCRAPE_ALLOWED_NETWORKS, SCRAPE_RATE and the other SCRAPE_* variables apply
// as in the function. The exit status is 0 when at least one page parsed.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/publish"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scrape", flag.ContinueOnError)
	fs.SetOutput(stderr)
	u := fs.String("url", "", "the first page to scrape (required)")
	prof := fs.String("profile", "", "a built-in profile (catalogue, workshop-table, workshop-cards), a JSON file, or inline JSON; empty detects")
	maxPages := fs.Int("max-pages", 1, "the most pages to fetch")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	env := func(k string) string {
		switch k {
		case "SCRAPE_URL":
			return *u
		case "SCRAPE_PROFILE":
			return *prof
		case "STREAM_NAME", "ERRORS_TABLE", "RUNS_TABLE":
			return "-" // nothing is published
		}
		return getenv(k)
	}
	cfg, err := scraper.LoadConfig(env)
	if err != nil {
		fmt.Fprintln(stderr, "scrape:", err)
		return 2
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	var rejected []scraper.ErrorRecord
	s := &scraper.Scraper{
		Fetcher:      fetch.New(cfg.Fetch),
		Publisher:    printer{out},
		Parker:       collector{&rejected},
		Tracer:       noTracer{},
		Profile:      cfg.Profile,
		AllowedHosts: cfg.AllowedHosts,
		MaxDepth:     cfg.MaxDepth,
		Log:          slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	now := time.Now()
	rep, _ := s.Run(ctx, scraper.State{RunID: scraper.NewRunID(now), Next: cfg.URL, MaxPages: *maxPages, Started: now}, now.Add(24*time.Hour))
	summarize(stderr, rep, rejected)
	if rep.PagesFetched == 0 {
		if len(rep.Errors) > 0 {
			fmt.Fprintln(stderr, "scrape: no page parsed:", rep.Errors[0])
		}
		return 1
	}
	return 0
}

// summarize writes the run's counts, why records were rejected and links
// refused, and its errors.
func summarize(stderr io.Writer, rep scraper.Report, rejected []scraper.ErrorRecord) {
	fmt.Fprintf(stderr, "profile %s: %d pages, %d movies parsed, %d valid records, %d rejected\n",
		orNone(rep.Profile), rep.PagesFetched, rep.MoviesParsed, rep.RecordsPublished, rep.RecordsRejected)
	reasons := map[string]int{}
	for _, r := range rejected {
		for _, v := range r.ValidationErrors {
			reasons[v.InstancePath+" "+v.Keyword]++
		}
	}
	for _, k := range slices.Sorted(maps.Keys(reasons)) {
		fmt.Fprintf(stderr, "  rejected %4d × %s\n", reasons[k], k)
	}
	for _, k := range slices.Sorted(maps.Keys(rep.RefusedByReason)) {
		fmt.Fprintf(stderr, "  refused  %4d × %s\n", rep.RefusedByReason[k], k)
	}
	for _, e := range rep.Errors {
		fmt.Fprintln(stderr, "error:", e)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// printer "publishes" records by printing them, one per line.
type printer struct{ w *bufio.Writer }

func (p printer) Publish(_ context.Context, es []publish.Entry) (int, []publish.Failure) {
	for i, e := range es {
		if _, err := p.w.Write(append(e.Data, '\n')); err != nil {
			failed := make([]publish.Failure, 0, len(es)-i)
			for _, rest := range es[i:] {
				failed = append(failed, publish.Failure{Entry: rest, Reason: err.Error()})
			}
			return i, failed
		}
	}
	return len(es), nil
}

type collector struct{ into *[]scraper.ErrorRecord }

func (c collector) Park(_ context.Context, rs []scraper.ErrorRecord) error {
	*c.into = append(*c.into, rs...)
	return nil
}

type noTracer struct{}

func (noTracer) Start(ctx context.Context, _, _ string) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (noTracer) Header(context.Context) string { return "" }
func (noTracer) Resume(ctx context.Context, _, _ string) (context.Context, func(error)) {
	return ctx, func(error) {}
}
