package queryapi_test

import (
	"strings"
	"testing"
	"time"

	queryapi "github.com/moviepipe/moviepipe/query-api"
)

const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:moviepipe-dev-cursor-key-AbCdEf"

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfig(t *testing.T) {
	c, err := queryapi.LoadConfig(env(map[string]string{"MOVIES_TABLE": "movies-dev", "CURSOR_KEY_SECRET_ARN": secretARN}))
	if err != nil || c.YearIndex != "byYear" || c.CursorKeySecretARN != secretARN || c.StoreTimeout != queryapi.DefaultStoreTimeout {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = queryapi.LoadConfig(env(map[string]string{"MOVIES_TABLE": "m", "CURSOR_KEY_SECRET_ARN": secretARN, "STORE_TIMEOUT": "1500ms"}))
	if err != nil || c.StoreTimeout != 1500*time.Millisecond {
		t.Fatalf("%+v %v", c, err)
	}
}

// Every problem is named at once; the cursor key has no default, and the
// old CURSOR_KEY is no way in.
func TestLoadConfigNamesEveryProblem(t *testing.T) {
	tests := map[string]struct {
		env  map[string]string
		want []string
	}{
		"nothing set": {map[string]string{"CURSOR_KEY": "a-key-given-directly-0123456789"},
			[]string{"MOVIES_TABLE is required", "CURSOR_KEY_SECRET_ARN is required"}},
		"bad values": {map[string]string{"MOVIES_TABLE": "m", "STORE_TIMEOUT": "30s", "CURSOR_KEY_SECRET_ARN": "moviepipe-dev-cursor-key"},
			[]string{"STORE_TIMEOUT", `CURSOR_KEY_SECRET_ARN="moviepipe-dev-cursor-key": want a Secrets Manager secret ARN`}},
		"another service's ARN": {map[string]string{"MOVIES_TABLE": "m", "CURSOR_KEY_SECRET_ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/key"},
			[]string{"CURSOR_KEY_SECRET_ARN="}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := queryapi.LoadConfig(env(tt.env))
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("want %q named, got %v", w, err)
				}
			}
		})
	}
}
