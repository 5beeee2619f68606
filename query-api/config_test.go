package queryapi_test

import (
	"strings"
	"testing"

	queryapi "github.com/moviepipe/moviepipe/query-api"
)

func TestLoadConfig(t *testing.T) {
	c, err := queryapi.LoadConfig(func(k string) string { return map[string]string{"MOVIES_TABLE": "movies-dev"}[k] })
	if err != nil || c.YearIndex != "byYear" || len(c.CursorKey) == 0 {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = queryapi.LoadConfig(func(k string) string { return map[string]string{"CURSOR_KEY": "short"}[k] })
	if err == nil || !strings.Contains(err.Error(), "MOVIES_TABLE") || !strings.Contains(err.Error(), "CURSOR_KEY") {
		t.Fatalf("want both problems named, got %v", err)
	}
}
