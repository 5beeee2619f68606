package processor

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Config is the processor's configuration, read from the environment.
type Config struct {
	MoviesTable    string        // MOVIES_TABLE, required
	ErrorsTable    string        // ERRORS_TABLE, required
	Concurrency    int           // WRITE_CONCURRENCY, 1–64, default 16
	MaxRecordBytes int           // MAX_RECORD_BYTES, 1 KiB–1 MiB, default 64 KiB
	ErrorTTL       time.Duration // ERROR_TTL_DAYS, 1–365, default 30
	Margin         time.Duration // DEADLINE_MARGIN, a Go duration, default 2s
}

// LoadConfig reads the configuration and reports every missing or malformed
// variable at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	required := func(name string) string {
		v := getenv(name)
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
		return v
	}
	intIn := func(name string, def, lo, hi int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s=%q: want an integer from %d to %d", name, v, lo, hi))
			return def
		}
		return n
	}
	c := Config{
		MoviesTable:    required("MOVIES_TABLE"),
		ErrorsTable:    required("ERRORS_TABLE"),
		Concurrency:    intIn("WRITE_CONCURRENCY", 16, 1, 64),
		MaxRecordBytes: intIn("MAX_RECORD_BYTES", 64<<10, 1<<10, 1<<20),
		ErrorTTL:       time.Duration(intIn("ERROR_TTL_DAYS", 30, 1, 365)) * 24 * time.Hour,
		Margin:         2 * time.Second,
	}
	if v := getenv("DEADLINE_MARGIN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Minute {
			errs = append(errs, fmt.Errorf("DEADLINE_MARGIN=%q: want a duration from 0s to 1m", v))
		} else {
			c.Margin = d
		}
	}
	return c, errors.Join(errs...)
}
