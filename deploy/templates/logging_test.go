package templates

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Every function logs JSON, its platform lines too: its LoggingConfig asks
// for the JSON format (Lambda then sets AWS_LAMBDA_LOG_FORMAT=JSON, which
// lambdacontext.NewLogger follows), the stage's application level
// (params.logLevel: INFO by default, DEBUG for stage local, whose record
// lines the local cloud's end-to-end test reads) and system level INFO
// (START and REPORT as platform.start and platform.report). The default log
// group is kept: the stack's log group, with its retention, is that one.
func TestFunctionsLogJSON(t *testing.T) {
	for _, stage := range []struct {
		name, level string
		load        func(*testing.T, string) template
	}{{"dev", "INFO", load}, {"local", "DEBUG", loadLocal}} {
		for _, stack := range []string{"processor", "query-api", "scraper"} {
			t.Run(stage.name+"/"+stack, func(t *testing.T) {
				fns := ofType(stage.load(t, stack), "AWS::Lambda::Function")
				if len(fns) == 0 {
					t.Fatal("no function")
				}
				for id, p := range fns {
					lc, _ := p["LoggingConfig"].(map[string]any)
					want := map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": stage.level, "SystemLogLevel": "INFO"}
					if len(lc) != len(want) {
						t.Errorf("%s: LoggingConfig %v, want %v", id, lc, want)
					}
					for k, v := range want {
						if lc[k] != v {
							t.Errorf("%s: LoggingConfig.%s = %v, want %v", id, k, lc[k], v)
						}
					}
				}
			})
		}
	}
}

// loadLocal reads a stack's template as make package-local writes it, for
// the local cloud (stage local).
func loadLocal(t *testing.T, stack string) template {
	t.Helper()
	path := filepath.Join(root(t), ".moviepipe", "package", stack, "cloudformation-template-update-stack.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "true" && os.IsNotExist(err) {
			t.Skipf("%s not generated: run make package-local (make test does)", path)
		}
		t.Fatalf("%v: run make package-local (make test does)", err)
	}
	var tpl template
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}
