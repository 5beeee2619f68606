package queryapi

import (
	"errors"
	"fmt"
)

// Config is the query API's configuration, read from the environment.
type Config struct {
	MoviesTable string // MOVIES_TABLE, required
	YearIndex   string // YEAR_INDEX, default byYear
	// CursorKey seals listing cursors (CURSOR_KEY; default derived from the
	// table name: cursors are opaque and tamper-evident, not secret).
	CursorKey []byte
}

// LoadConfig reads the configuration and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{MoviesTable: getenv("MOVIES_TABLE"), YearIndex: getenv("YEAR_INDEX")}
	if c.MoviesTable == "" {
		errs = append(errs, errors.New("MOVIES_TABLE is required"))
	}
	if c.YearIndex == "" {
		c.YearIndex = "byYear"
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
