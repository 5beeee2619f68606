package queryapi

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config is the query API's configuration, read from the environment.
type Config struct {
	MoviesTable string // MOVIES_TABLE, required
	YearIndex   string // YEAR_INDEX, default byYear
	// CursorKeySecretARN is the Secrets Manager secret whose value seals
	// listing cursors (CURSOR_KEY_SECRET_ARN, required): the stage's
	// generated secret, exported by the shared stack. The function reads
	// it once, at start (cursorkey.Read); there is no default and no other
	// way to give the key, so that every environment, the local cloud
	// included, seals cursors with a secret nobody derived from a name.
	CursorKeySecretARN string
	// StoreTimeout bounds each DynamoDB call (STORE_TIMEOUT, 100ms–25s;
	// default DefaultStoreTimeout), below the function's 10 s timeout.
	StoreTimeout time.Duration
}

// LoadConfig reads the configuration and reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{MoviesTable: getenv("MOVIES_TABLE"), YearIndex: getenv("YEAR_INDEX"),
		CursorKeySecretARN: getenv("CURSOR_KEY_SECRET_ARN"), StoreTimeout: DefaultStoreTimeout}
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
	switch arn := c.CursorKeySecretARN; {
	case arn == "":
		errs = append(errs, errors.New("CURSOR_KEY_SECRET_ARN is required: the ARN of the stage's cursor key secret"))
	case !isSecretARN(arn):
		errs = append(errs, fmt.Errorf("CURSOR_KEY_SECRET_ARN=%q: want a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", arn))
	}
	return c, errors.Join(errs...)
}

// isSecretARN reports whether s has the form of a secret's ARN:
// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME.
func isSecretARN(s string) bool {
	parts := strings.SplitN(s, ":", 7)
	return len(parts) == 7 && parts[0] == "arn" && parts[1] != "" && parts[2] == "secretsmanager" &&
		parts[3] != "" && parts[4] != "" && parts[5] == "secret" && parts[6] != ""
}
