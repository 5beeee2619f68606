package sls_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/sls"
)

func load(t *testing.T, stack string) *sls.Service {
	t.Helper()
	f, err := sls.Load(filepath.Join("..", "..", "..", stack, "serverless.yml"), sls.Options{Stage: "local", Region: "us-east-1",
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Service()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The local cloud reads the very files that deploy to AWS: every function,
// event and environment variable of the three services resolves.
func TestResolvesEveryFunctionEventAndVariable(t *testing.T) {
	res := load(t, "deploy/resources")
	exports := map[string]string{}
	for id, o := range res.Outputs {
		name, ok := o.Export.(string)
		if !ok || !strings.HasPrefix(name, "moviepipe-local-") {
			t.Fatalf("output %s exports %v", id, o.Export)
		}
		exports[name] = "value-of-" + id
	}
	env := sls.Env{Region: "us-east-1", AccountID: "000000000000", Exports: exports}
	want := map[string]struct{ http, streams int }{"processor": {0, 1}, "query-api": {2, 0}, "scraper": {2, 0}}
	for stack, w := range want {
		s := load(t, stack)
		if len(s.Functions) != 1 {
			t.Fatalf("%s: %d functions", stack, len(s.Functions))
		}
		fn := s.Functions[0]
		if !strings.HasSuffix(fn.Name, "-local") || fn.Handler != "bootstrap" || fn.Runtime != "provided.al2023" || fn.Timeout <= 0 {
			t.Errorf("%s: %+v", stack, fn)
		}
		if len(fn.HTTP) != w.http || len(fn.Streams) != w.streams {
			t.Errorf("%s: %d http, %d stream events", stack, len(fn.HTTP), len(fn.Streams))
		}
		if len(fn.Environment) == 0 {
			t.Errorf("%s: no environment", stack)
		}
		for k, v := range fn.Environment {
			if _, err := env.String(v, k); err != nil {
				t.Errorf("%s: %v", stack, err)
			}
		}
		for _, st := range fn.Streams {
			for _, v := range []any{st.ARN, st.OnFailure} {
				if _, err := env.String(v, "stream"); err != nil {
					t.Errorf("%s: %v", stack, err)
				}
			}
			if !st.ReportBatchItemFailures || !st.BisectBatchOnFunctionError || st.MaximumRetryAttempts < 0 || st.StartingPosition != "TRIM_HORIZON" {
				t.Errorf("%s: stream %+v", stack, st)
			}
		}
	}
	scraper := load(t, "scraper").Functions[0]
	if scraper.Reserved != 1 || !scraper.HTTP[0].IAM {
		t.Errorf("scraper: %+v", scraper)
	}
}

func TestVariables(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "serverless.yml")
	writeFile(t, path, `service: demo
params:
  default: {size: 10, name: plain}
  local: {size: 20}
custom:
  greeting: hello-${sls:stage}
  copy: ${self:custom.greeting}
  size: ${param:size}
  name: ${param:name}
  home: ${env:DEMO_HOME, '/tmp'}
  region: ${opt:region, 'us-east-1'}
  nested: ${env:MISSING, ${param:name}}
  imported: !ImportValue thing-${sls:stage}
`)
	f, err := sls.Load(path, sls.Options{Stage: "local", Getenv: func(k string) string { return map[string]string{}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	c := f.Doc["custom"].(map[string]any)
	want := map[string]any{"greeting": "hello-local", "copy": "hello-local", "size": 20, "name": "plain", "home": "/tmp",
		"region": "us-east-1", "nested": "plain"}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %#v, want %#v", k, c[k], v)
		}
	}
	if imp, _ := c["imported"].(map[string]any); imp["Fn::ImportValue"] != "thing-local" {
		t.Errorf("imported = %#v", c["imported"])
	}
	writeFile(t, path, "service: x\ncustom:\n  a: ${env:NOPE}\n")
	if _, err := sls.Load(path, sls.Options{Stage: "local", Getenv: func(string) string { return "" }}); err == nil || !strings.Contains(err.Error(), "custom.a") {
		t.Errorf("missing variable: %v", err)
	}
}

func TestIntrinsics(t *testing.T) {
	env := sls.Env{Region: "eu-west-1", AccountID: "123", Exports: map[string]string{"x-Arn": "arn:x"},
		Attr: func(id, a string) (string, bool) { return id + "." + a, id == "Q" }}
	cases := map[string]struct {
		in   any
		want string
	}{
		"import": {map[string]any{"Fn::ImportValue": "x-Arn"}, "arn:x"},
		"join":   {map[string]any{"Fn::Join": []any{":", []any{"arn", map[string]any{"Ref": "AWS::Partition"}, map[string]any{"Ref": "AWS::Region"}}}}, "arn:aws:eu-west-1"},
		"sub":    {map[string]any{"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Q.QueueName}"}, "arn:aws:sqs:eu-west-1:123:Q.QueueName"},
		"getatt": {map[string]any{"Fn::GetAtt": []any{"Q", "Arn"}}, "Q.Arn"},
	}
	for name, c := range cases {
		got, err := env.String(c.in, name)
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, c.want)
		}
	}
	if _, err := env.String(map[string]any{"Fn::ImportValue": "nope"}, "at"); err == nil || !strings.Contains(err.Error(), `no export named "nope"`) {
		t.Errorf("unknown export: %v", err)
	}
	if _, err := env.String(map[string]any{"Fn::Base64": "x"}, "at"); err == nil || !strings.Contains(err.Error(), "Fn::Base64") {
		t.Errorf("unknown intrinsic: %v", err)
	}
}
