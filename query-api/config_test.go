package queryapi_test

import (
	"strings"
	"testing"
	"time"

	queryapi "github.com/moviepipe/moviepipe/query-api"
)

func TestLoadConfig(t *testing.T) {
	c, err := queryapi.LoadConfig(func(k string) string { return map[string]string{"MOVIES_TABLE": "movies-dev"}[k] })
	if err != nil || c.YearIndex != "byYear" || len(c.CursorKey) == 0 || c.StoreTimeout != queryapi.DefaultStoreTimeout {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = queryapi.LoadConfig(func(k string) string { return map[string]string{"CURSOR_KEY": "short", "STORE_TIMEOUT": "30s"}[k] })
	for _, name := range []string{"MOVIES_TABLE", "CURSOR_KEY", "STORE_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("want %s named, got %v", name, err)
		}
	}
	c, err = queryapi.LoadConfig(func(k string) string { return map[string]string{"MOVIES_TABLE": "m", "STORE_TIMEOUT": "1500ms"}[k] })
	if err != nil || c.StoreTimeout != 1500*time.Millisecond {
		t.Fatalf("%+v %v", c, err)
	}
}
