package apigwadmin

import (
	"strings"
	"testing"
)

// A method setting's patch path names its method in the forms clients
// send; each form gives the key AWS lists the setting under.
func TestMethodPath(t *testing.T) {
	for _, c := range []struct{ path, key, setting string }{
		{"/*/*/throttling/rateLimit", "*/*", "throttling/rateLimit"},
		// AWS's recorded answer to this path is the key "test/GET".
		{"/test/GET/throttling/burstLimit", "test/GET", "throttling/burstLimit"},
		// JSON Pointer escaping, as the AWS docs write a resource path.
		{"/~1movies~1{id}/GET/throttling/rateLimit", "movies/{id}/GET", "throttling/rateLimit"},
		// Terraform's method_path: the resource path, slashes unescaped.
		{"/movies/{id}/GET/metrics/enabled", "movies/{id}/GET", "metrics/enabled"},
		{"/~1/GET/throttling/rateLimit", "/GET", "throttling/rateLimit"},
		{"/*/GET/throttling/rateLimit", "*/GET", "throttling/rateLimit"},
	} {
		key, setting, ok := methodPath(c.path)
		if !ok || key != c.key || setting != c.setting {
			t.Errorf("methodPath(%s) = %q, %q, %v; want %q, %q", c.path, key, setting, ok, c.key, c.setting)
		}
	}
	for _, bad := range []string{"/*/throttling/rateLimit", "/*/*/throttling/limit", "*/*/throttling/rateLimit", "//throttling/rateLimit", "/tags/tag1"} {
		if _, _, ok := methodPath(bad); ok {
			t.Errorf("methodPath(%s) accepted", bad)
		}
	}
}

// UpdateStage's operations, one at a time, as AWS applies them or refuses
// them (the texts are cited in patch.go).
func TestApplyPatch(t *testing.T) {
	for _, c := range []struct {
		name string
		ops  []PatchOperation
		want func(Stage) bool
		err  string
	}{
		{"tracing on", ops("/tracingEnabled", "true"), func(s Stage) bool { return s.TracingEnabled }, ""},
		{"tracing off, any case", ops("/tracingEnabled", "TRUE", "/tracingEnabled", "no"), func(s Stage) bool { return !s.TracingEnabled }, ""},
		{"every method's throttling, from AWS's defaults", ops("/*/*/throttling/rateLimit", "100"),
			func(s Stage) bool {
				return s.MethodSettings["*/*"] == MethodSetting{ThrottlingRateLimit: 100, ThrottlingBurstLimit: 5000}
			}, ""},
		{"metrics", ops("/*/*/metrics/enabled", "true"), func(s Stage) bool { return s.MethodSettings["*/*"].MetricsEnabled }, ""},
		{"a method copies */*", ops("/*/*/throttling/burstLimit", "9", "/~1x/POST/throttling/rateLimit", "2"),
			func(s Stage) bool {
				return s.MethodSettings["x/POST"] == MethodSetting{ThrottlingRateLimit: 2, ThrottlingBurstLimit: 9}
			}, ""},
		{"a path AWS does not have", ops("/documentation_version", "1"), nil, "Invalid method setting path: /documentation_version. Must be one of: [/deploymentId, /description,"},
		{"a path AWS has, not emulated", ops("/*/*/logging/loglevel", "INFO"), nil, "The local cloud does not emulate UpdateStage's method setting logging/loglevel"},
		{"access logging, not emulated", ops("/accessLogSettings/format", "$context.requestId"), nil, "The local cloud does not emulate UpdateStage's path /accessLogSettings/format"},
		{"stage variables, not emulated", ops("/variables/v", "1"), nil, "The local cloud does not emulate UpdateStage's path /variables/v"},
		{"removing */*, not emulated", []PatchOperation{{Op: "remove", Path: "/*/*"}}, nil, "The local cloud does not emulate UpdateStage's path /*/*"},
		{"a wildcard resource of one method", ops("/*/GET/throttling/rateLimit", "1"), nil, "The local cloud does not emulate a method setting for */GET"},
		{"add", []PatchOperation{{Op: "add", Path: "/*/*/throttling/rateLimit", Value: "1"}}, nil, "Invalid patch operation specified. Must be one of: [replace]"},
		{"no value", []PatchOperation{{Op: "replace", Path: "/tracingEnabled"}}, nil, "Invalid patch operation: replace at /tracingEnabled needs a value"},
		{"a negative rate", ops("/*/*/throttling/rateLimit", "-1"), nil, `Invalid rate limit "-1"`},
		{"an infinite rate", ops("/*/*/throttling/rateLimit", "Inf"), nil, `Invalid rate limit "Inf"`},
		{"a fractional burst", ops("/*/*/throttling/burstLimit", "1.5"), nil, `Invalid burst limit "1.5"`},
		{"a burst over int32", ops("/*/*/throttling/burstLimit", "2147483648"), nil, `Invalid burst limit "2147483648"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s Stage
			err := applyPatch(&s, c.ops)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.err != "" && (err == nil || err.typ != "BadRequestException" || !strings.HasPrefix(err.message, c.err)):
				t.Fatalf("got %v, want BadRequestException %q…", err, c.err)
			case c.want != nil && !c.want(s):
				t.Errorf("stage %+v", s)
			}
		})
	}
}

// ops makes replace operations from path, value pairs.
func ops(pathValues ...string) []PatchOperation {
	var out []PatchOperation
	for i := 0; i+1 < len(pathValues); i += 2 {
		out = append(out, PatchOperation{Op: "replace", Path: pathValues[i], Value: pathValues[i+1]})
	}
	return out
}

// The setting in force for a method is its own, else the stage's */*.
func TestSettingInForce(t *testing.T) {
	s := Stage{MethodSettings: map[string]MethodSetting{
		AllMethods: {ThrottlingRateLimit: 100}, "movies/{id}/GET": {ThrottlingRateLimit: 5},
	}}
	if m, ok := s.Setting("/movies/{id}", "GET"); !ok || m.ThrottlingRateLimit != 5 {
		t.Errorf("own: %+v %v", m, ok)
	}
	if m, ok := s.Setting("/movies", "GET"); !ok || m.ThrottlingRateLimit != 100 {
		t.Errorf("*/*: %+v %v", m, ok)
	}
	if _, ok := (Stage{}).Setting("/movies", "GET"); ok {
		t.Error("a stage without settings has one in force")
	}
}
