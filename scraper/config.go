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
	MaxDepth     int           // SCRAPE_MAX_DEPTH: links followed from SCRAPE_URL, 1–10000 [1000]
	SyncBudget   time.Duration // SCRAPE_SYNC_BUDGET: work before an API answer [20s]
	// SCRAPE_RATE [1/s], SCRAPE_TIMEOUT [20s], SCRAPE_MAX_BODY_BYTES [5 MiB],
	// SCRAPE_MAX_CRAWL_DELAY (1s–10m) [30s], SCRAPE_USER_AGENT, SCRAPE_ALLOWED_NETWORKS
	Fetch    fetch.Options
	Attempts int // PUBLISH_ATTEMPTS, 1–20 [5]
}

// LoadConfig reads the configuration and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	bad := func(name, v, want string) { errs = append(errs, fmt.Errorf("%s=%q: %s", name, v, want)) }
	c := Config{URL: getenv("SCRAPE_URL"), Stream: getenv("STREAM_NAME"), ErrorsTable: getenv("ERRORS_TABLE"), RunsTable: getenv("RUNS_TABLE"),
		MaxPages: 100, MaxDepth: DefaultMaxDepth, SyncBudget: 20 * time.Second, Attempts: 5}
	for name, v := range map[string]string{"SCRAPE_URL": c.URL, "STREAM_NAME": c.Stream, "ERRORS_TABLE": c.ErrorsTable, "RUNS_TABLE": c.RunsTable} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if c.URL != "" {
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("SCRAPE_URL", c.URL, "want an absolute http or https URL")
		}
	}
	if v := getenv("SCRAPE_PROFILE"); v != "" {
		p, err := profile.Load(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SCRAPE_PROFILE: %w", err))
		}
		c.Profile = p
	}
	intIn := func(name string, dst *int, lo, hi int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo || n > hi {
				bad(name, v, fmt.Sprintf("want an integer from %d to %d", lo, hi))
				return
			}
			*dst = n
		}
	}
	durIn := func(name string, dst *time.Duration, lo, hi time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < lo || d > hi {
				bad(name, v, fmt.Sprintf("want a duration from %s to %s", lo, hi))
				return
			}
			*dst = d
		}
	}
	intIn("SCRAPE_MAX_PAGES", &c.MaxPages, 1, 10000)
	intIn("SCRAPE_MAX_DEPTH", &c.MaxDepth, 1, 10000)
	for _, h := range strings.FieldsFunc(getenv("SCRAPE_ALLOWED_HOSTS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if u, err := url.Parse("http://" + h); err != nil || u.Host != h || u.Hostname() == "" {
			bad("SCRAPE_ALLOWED_HOSTS", h, "want a host or host:port")
			continue
		}
		c.AllowedHosts = append(c.AllowedHosts, h)
	}
	intIn("PUBLISH_ATTEMPTS", &c.Attempts, 1, 20)
	durIn("SCRAPE_SYNC_BUDGET", &c.SyncBudget, time.Second, 28*time.Second)
	durIn("SCRAPE_TIMEOUT", &c.Fetch.Timeout, time.Second, 5*time.Minute)
	c.Fetch.MaxCrawlDelay = fetch.DefaultMaxCrawlDelay
	durIn("SCRAPE_MAX_CRAWL_DELAY", &c.Fetch.MaxCrawlDelay, time.Second, 10*time.Minute)
	maxBody := 5 << 20
	intIn("SCRAPE_MAX_BODY_BYTES", &maxBody, 1<<10, 64<<20)
	c.Fetch.MaxBodyBytes = int64(maxBody)
	c.Fetch.Rate = 1
	if v := getenv("SCRAPE_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 || r > 1000 {
			bad("SCRAPE_RATE", v, "want requests per second, above 0 and at most 1000")
		} else {
			c.Fetch.Rate = r
		}
	}
	c.Fetch.UserAgent = getenv("SCRAPE_USER_AGENT")
	nets, err := fetch.ParseNetworks(getenv("SCRAPE_ALLOWED_NETWORKS"))
	if err != nil {
		errs = append(errs, fmt.Errorf("SCRAPE_ALLOWED_NETWORKS: %w", err))
	}
	c.Fetch.Guard = fetch.Guard{Allowed: nets}
	return c, errors.Join(errs...)
}
