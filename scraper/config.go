package scraper

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/profile"
)

// Config is the scraper's configuration, read from the environment.
type Config struct {
	URL         string           // SCRAPE_URL, required: the first page
	Profile     *profile.Profile // SCRAPE_PROFILE: a built-in name, a JSON file or inline JSON; empty detects
	Stream      string           // STREAM_NAME, required
	ErrorsTable string           // ERRORS_TABLE, required
	RunsTable   string           // RUNS_TABLE, required: the lease of the running scrape
	MaxPages    int              // SCRAPE_MAX_PAGES, 1–10000 [100]
	// AllowedHosts may be crawled besides SCRAPE_URL's host:
	// SCRAPE_ALLOWED_HOSTS, comma- or space-separated host or host:port.
	AllowedHosts []string
	MaxDepth     int // SCRAPE_MAX_DEPTH: links followed from SCRAPE_URL, 1–10000 [1000]
	// SyncBudget is SCRAPE_SYNC_BUDGET, 1s–20s [20s]: the deadline of the
	// fetches before an API answer. API Gateway gives up on the function
	// after 29 s; the 9 s left publish the last page fetched and hand the
	// run on.
	SyncBudget time.Duration
	// SCRAPE_RATE [1/s], SCRAPE_TIMEOUT [20s], SCRAPE_MAX_BODY_BYTES [5 MiB],
	// SCRAPE_MAX_CRAWL_DELAY (1s–10m) [30s], SCRAPE_USER_AGENT, SCRAPE_ALLOWED_NETWORKS
	Fetch    fetch.Options
	Attempts int // PUBLISH_ATTEMPTS, 1–20 [5]
	// TracePerPage and TracePerRun bound the records that carry a sampled
	// trace header: SCRAPE_TRACE_PER_PAGE, 0–10000 [2], and
	// SCRAPE_TRACE_PER_RUN, 0–10000 [40].
	TracePerPage, TracePerRun int
}

// LoadConfig reads the configuration and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	e := &env{get: getenv}
	c := Config{URL: e.required("SCRAPE_URL"), Stream: e.required("STREAM_NAME"), ErrorsTable: e.required("ERRORS_TABLE"),
		RunsTable: e.required("RUNS_TABLE"), MaxPages: 100, MaxDepth: DefaultMaxDepth, SyncBudget: 20 * time.Second, Attempts: 5,
		TracePerPage: DefaultTracePerPage, TracePerRun: DefaultTracePerRun}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			e.bad("SCRAPE_URL", c.URL, "want an absolute http or https URL")
		}
	}
	if v := getenv("SCRAPE_PROFILE"); v != "" {
		p, err := profile.Load(v)
		e.fail("SCRAPE_PROFILE", err)
		c.Profile = p
	}
	e.intIn("SCRAPE_MAX_PAGES", &c.MaxPages, 1, 10000)
	e.intIn("SCRAPE_MAX_DEPTH", &c.MaxDepth, 1, 10000)
	c.AllowedHosts = e.hosts("SCRAPE_ALLOWED_HOSTS")
	e.intIn("PUBLISH_ATTEMPTS", &c.Attempts, 1, 20)
	e.intIn("SCRAPE_TRACE_PER_PAGE", &c.TracePerPage, 0, 10000)
	e.intIn("SCRAPE_TRACE_PER_RUN", &c.TracePerRun, 0, 10000)
	e.durIn("SCRAPE_SYNC_BUDGET", &c.SyncBudget, time.Second, 20*time.Second)
	c.Fetch = e.fetchOptions()
	return c, errors.Join(e.errs...)
}

// fetchOptions reads the fetcher's settings.
func (e *env) fetchOptions() fetch.Options {
	o := fetch.Options{MaxCrawlDelay: fetch.DefaultMaxCrawlDelay, Rate: 1, UserAgent: e.get("SCRAPE_USER_AGENT")}
	e.durIn("SCRAPE_TIMEOUT", &o.Timeout, time.Second, 5*time.Minute)
	e.durIn("SCRAPE_MAX_CRAWL_DELAY", &o.MaxCrawlDelay, time.Second, 10*time.Minute)
	maxBody := 5 << 20
	e.intIn("SCRAPE_MAX_BODY_BYTES", &maxBody, 1<<10, 64<<20)
	o.MaxBodyBytes = int64(maxBody)
	if v := e.get("SCRAPE_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 1000 {
			e.bad("SCRAPE_RATE", v, "want requests per second, above 0 and at most 1000")
		} else {
			o.Rate = r
		}
	}
	nets, err := fetch.ParseNetworks(e.get("SCRAPE_ALLOWED_NETWORKS"))
	e.fail("SCRAPE_ALLOWED_NETWORKS", err)
	o.Guard = fetch.Guard{Allowed: nets}
	return o
}

// env reads variables and gathers every problem with them.
type env struct {
	get  func(string) string
	errs []error
}

func (e *env) bad(name, v, want string) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: %s", name, v, want))
}

func (e *env) fail(name string, err error) {
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", name, err))
	}
}

func (e *env) required(name string) string {
	v := e.get(name)
	if v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is required", name))
	}
	return v
}

func (e *env) intIn(name string, dst *int, lo, hi int) {
	if v := e.get(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			e.bad(name, v, fmt.Sprintf("want an integer from %d to %d", lo, hi))
			return
		}
		*dst = n
	}
}

func (e *env) durIn(name string, dst *time.Duration, lo, hi time.Duration) {
	if v := e.get(name); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			e.bad(name, v, fmt.Sprintf("want a duration from %s to %s", lo, hi))
			return
		}
		*dst = d
	}
}

// hosts reads a comma- or space-separated list of host or host:port.
func (e *env) hosts(name string) []string {
	var out []string
	for _, h := range strings.FieldsFunc(e.get(name), func(r rune) bool { return r == ',' || r == ' ' }) {
		if u, err := url.Parse("http://" + h); err != nil || u.Host != h || u.Hostname() == "" {
			e.bad(name, h, "want a host or host:port")
			continue
		}
		out = append(out, h)
	}
	return out
}
