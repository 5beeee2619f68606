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
	Margin         time.Duration // DEADLINE_MARGIN, a Go duration 0s–1m, default 2s
	MaxClockSkew   time.Duration // MAX_CLOCK_SKEW, a Go duration 0s–24h, default 5m
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
	durationIn := func(name string, def, hi time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > hi {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration from 0s to %s", name, v, hi))
			return def
		}
		return d
	}
	c := Config{
		MoviesTable:    required("MOVIES_TABLE"),
		ErrorsTable:    required("ERRORS_TABLE"),
		Concurrency:    intIn("WRITE_CONCURRENCY", 16, 1, 64),
		MaxRecordBytes: intIn("MAX_RECORD_BYTES", 64<<10, 1<<10, 1<<20),
		ErrorTTL:       time.Duration(intIn("ERROR_TTL_DAYS", 30, 1, 365)) * 24 * time.Hour,
		Margin:         durationIn("DEADLINE_MARGIN", 2*time.Second, time.Minute),
		MaxClockSkew:   durationIn("MAX_CLOCK_SKEW", 5*time.Minute, 24*time.Hour),
	}
	return c, errors.Join(errs...)
}
