package queryapi

import (
	"errors"
	"fmt"
	"time"
)

// Config is the query API's configuration, read from the environment.
type Config struct {
	MoviesTable string // MOVIES_TABLE, required
	YearIndex   string // YEAR_INDEX, default byYear
	// CursorKey seals listing cursors (CURSOR_KEY; default derived from the
	// table name: cursors are opaque and tamper-evident, not secret).
	CursorKey []byte
	// StoreTimeout bounds each DynamoDB call (STORE_TIMEOUT, 100ms–25s;
	// default DefaultStoreTimeout), below the function's 10 s timeout.
	StoreTimeout time.Duration
}

// LoadConfig reads the configuration and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{MoviesTable: getenv("MOVIES_TABLE"), YearIndex: getenv("YEAR_INDEX"), StoreTimeout: DefaultStoreTimeout}
	if c.MoviesTable == "" {
		errs = append(errs, errors.New("MOVIES_TABLE is required"))
	}
	if c.YearIndex == "" {
		c.YearIndex = "byYear"
	}
	if v := getenv("STORE_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > 25*time.Second {
			errs = append(errs, fmt.Errorf("STORE_TIMEOUT=%q: want a duration from 100ms to 25s", v))
		} else {
			c.StoreTimeout = d
		}
	}
	switch k := getenv("CURSOR_KEY"); {
	case k == "":
		c.CursorKey = []byte("moviepipe-cursor:" + c.MoviesTable)
	case len(k) < 16:
		errs = append(errs, fmt.Errorf("CURSOR_KEY must be at least 16 characters, got %d", len(k)))
	default:
		c.CursorKey = []byte(k)
	}
	return c, errors.Join(errs...)
}
