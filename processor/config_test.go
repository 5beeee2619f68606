package processor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/processor"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	c, err := processor.LoadConfig(env(map[string]string{"MOVIES_TABLE": "m", "ERRORS_TABLE": "e"}))
	if err != nil {
		t.Fatal(err)
	}
	want := processor.Config{MoviesTable: "m", ErrorsTable: "e", Concurrency: 16, MaxRecordBytes: 64 << 10, ErrorTTL: 30 * 24 * time.Hour, Margin: 2 * time.Second, MaxClockSkew: 5 * time.Minute}
	if c != want {
		t.Fatalf("got %+v, want %+v", c, want)
	}
}

func TestLoadConfigNamesEveryProblem(t *testing.T) {
	_, err := processor.LoadConfig(env(map[string]string{
		"WRITE_CONCURRENCY": "0", "MAX_RECORD_BYTES": "lots", "ERROR_TTL_DAYS": "9999", "DEADLINE_MARGIN": "soon", "MAX_CLOCK_SKEW": "-1s",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{"MOVIES_TABLE", "ERRORS_TABLE", "WRITE_CONCURRENCY", "MAX_RECORD_BYTES", "ERROR_TTL_DAYS", "DEADLINE_MARGIN", "MAX_CLOCK_SKEW"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
