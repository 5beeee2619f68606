package cfn_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/lambda"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

func parse(t *testing.T, doc string) *cfn.Template {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "t.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := cfn.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

var env = cfn.Env{StackName: "demo-local", Region: "us-east-1", Account: "000000000000",
	Imports: func(name string) (string, bool) {
		v, ok := map[string]string{"shared-StreamArn": "arn:aws:kinesis:us-east-1:000000000000:stream/movies"}[name]
		return v, ok
	}}

// Every intrinsic and pseudo parameter the packaged templates use, and the
// order CloudFormation creates resources in.
func TestResolve(t *testing.T) {
	tpl := parse(t, `{
	  "Parameters": {"Shards": {"Type": "Number", "Default": 2}, "Mode": {"Type": "String", "Default": "fixed", "AllowedValues": ["fixed", "auto"]}},
	  "Conditions": {"Fixed": {"Fn::Equals": [{"Ref": "Mode"}, "fixed"]}, "Auto": {"Fn::Not": [{"Condition": "Fixed"}]}},
	  "Resources": {
	    "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": "Logs", "Properties": {
	      "FunctionName": {"Fn::Sub": "${AWS::StackName}-fn"}, "Handler": "bootstrap", "Runtime": "provided.al2023",
	      "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": "x"},
	      "Environment": {"Variables": {
	        "STREAM": {"Fn::ImportValue": "shared-StreamArn"},
	        "TABLE": {"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]},
	        "SHARDS": {"Fn::If": ["Fixed", {"Ref": "Shards"}, {"Ref": "AWS::NoValue"}]},
	        "AUTO": {"Fn::If": ["Auto", "yes", {"Ref": "AWS::NoValue"}]},
	        "LITERAL": {"Fn::Sub": ["${!Literal}-${X}", {"X": {"Ref": "AWS::Partition"}}]},
	        "URL": {"Fn::Join": ["", ["https://x.", {"Ref": "AWS::URLSuffix"}]]}}}}},
	    "Role": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": {"Fn::Join": ["-", ["r", {"Ref": "AWS::Region"}]]}, "Path": "/svc/",
	      "AssumeRolePolicyDocument": {}}},
	    "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/aws/lambda/demo"}},
	    "OnlyAuto": {"Type": "AWS::SQS::Queue", "Condition": "Auto", "Properties": {}}
	  },
	  "Outputs": {"FnArn": {"Value": {"Fn::GetAtt": "Fn.Arn"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-FnArn"}}},
	    "Q": {"Condition": "Auto", "Value": {"Ref": "OnlyAuto"}}}
	}`)
	s, err := cfn.Resolve(tpl, env)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range s.Resources {
		order = append(order, r.ID)
	}
	if got := strings.Join(order, " "); got != "Logs Role Fn" {
		t.Fatalf("order %s; want Logs Role Fn", got)
	}
	if len(s.Skipped) != 1 || s.Skipped[0] != "OnlyAuto" {
		t.Fatalf("skipped %v", s.Skipped)
	}
	fnRes, _ := s.Resource("Fn")
	fn, err := cfn.As[lambda.Function](fnRes)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"STREAM": "arn:aws:kinesis:us-east-1:000000000000:stream/movies", "TABLE": "b", "SHARDS": "2",
		"LITERAL": "${Literal}-aws", "URL": "https://x.amazonaws.com"}
	got := fn.Environment.Variables
	if b1, b2 := mustJSON(got), mustJSON(want); b1 != b2 {
		t.Fatalf("environment %s; want %s", b1, b2)
	}
	if fn.FunctionName == nil || *fn.FunctionName != "demo-local-fn" || fn.Role != "arn:aws:iam::000000000000:role/svc/r-us-east-1" {
		t.Fatalf("function %v, role %s", fn.FunctionName, fn.Role)
	}
	if s.Exports["demo-local-FnArn"] != "arn:aws:lambda:us-east-1:000000000000:function:demo-local-fn" || len(s.Outputs) != 1 {
		t.Fatalf("outputs %v, exports %v", s.Outputs, s.Exports)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// What CloudFormation would refuse, or what cannot be resolved here, is an
// error naming where it is, never an empty value.
func TestResolveRefuses(t *testing.T) {
	for name, tc := range map[string]struct{ resources, want string }{
		"unknown resource":      {`"A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Nope"}}}`, "Resources.A: refers to Nope"},
		"unknown attribute":     {`"A": {"Type": "AWS::SQS::Queue", "Properties": {}}, "B": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::GetAtt": ["A", "Nope"]}}}`, "Resources.B.Properties: Fn::GetAtt A.Nope: AWS::SQS::Queue has no attribute Nope"},
		"unknown export":        {`"A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::ImportValue": "nope"}}}`, "Fn::ImportValue nope: no stack created before exports it"},
		"index out of range":    {`"A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Select": [5, ["a"]]}}}`, "Resources.A.Properties: Fn::Select"},
		"unknown Sub variable":  {`"A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${Nope}-q"}}}`, "Resources.A: refers to Nope"},
		"cycle":                 {`"A": {"Type": "AWS::SQS::Queue", "DependsOn": "B", "Properties": {}}, "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A", "Properties": {}}`, "circular dependency"},
		"unknown condition":     {`"A": {"Type": "AWS::SQS::Queue", "Condition": "Nope", "Properties": {}}`, "no condition Nope"},
		"not emulated function": {`"A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}}`, "Fn::GetAZs  is not emulated"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := cfn.Resolve(parse(t, `{"Resources": {`+tc.resources+`}}`), env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v; want one containing %q", err, tc.want)
			}
		})
	}
}

func TestParameters(t *testing.T) {
	tpl := parse(t, `{"Parameters": {"P": {"Type": "String", "AllowedValues": ["a"]}}, "Resources": {"A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "P"}}}}}`)
	if _, err := cfn.Resolve(tpl, env); err == nil || !strings.Contains(err.Error(), "parameter P: no value given and no Default") {
		t.Fatalf("err %v", err)
	}
	e := env
	e.Parameters = map[string]string{"P": "b", "Q": "x"}
	_, err := cfn.Resolve(tpl, e)
	if err == nil || !strings.Contains(err.Error(), "b is not one of its AllowedValues") || !strings.Contains(err.Error(), "parameter Q: given, but the template does not declare it") {
		t.Fatalf("err %v", err)
	}
	e.Parameters = map[string]string{"P": "a"}
	s, err := cfn.Resolve(tpl, e)
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := s.Resource("A"); q.Ref != "https://sqs.us-east-1.amazonaws.com/000000000000/a" || q.Attrs["Arn"] != "arn:aws:sqs:us-east-1:000000000000:a" {
		t.Fatalf("queue %+v", q)
	}
}

// A property the type's specification does not have is refused by the
// typed view.
func TestAsRefusesUnknownProperties(t *testing.T) {
	s, err := cfn.Resolve(parse(t, `{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "r", "Code": {}, "Colour": "red"}}}}`), env)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.Resource("F")
	if _, err := cfn.As[lambda.Function](r); err == nil || !strings.Contains(err.Error(), "Colour") {
		t.Fatalf("err %v", err)
	}
}

// Generated names are what CloudFormation makes of stack and logical id,
// the same at every start.
func TestGeneratedNames(t *testing.T) {
	tpl := parse(t, `{"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}}}`)
	a, _ := cfn.Resolve(tpl, env)
	b, _ := cfn.Resolve(tpl, env)
	ra, _ := a.Resource("Bucket")
	rb, _ := b.Resource("Bucket")
	if ra.Ref != rb.Ref || !strings.HasPrefix(ra.Ref, "demo-local-bucket-") || ra.Ref != strings.ToLower(ra.Ref) {
		t.Fatalf("bucket names %q, %q", ra.Ref, rb.Ref)
	}
}

// A secret's Ref and Id are its ARN, whose name ends with a hyphen and six
// random letters and digits: each new secret has an ARN of its own.
func TestSecretARNHasARandomSuffix(t *testing.T) {
	tpl := parse(t, `{"Resources": {"Key": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "moviepipe-local-cursor-key"}}}}`)
	a, _ := cfn.Resolve(tpl, env)
	b, _ := cfn.Resolve(tpl, env)
	ra, _ := a.Resource("Key")
	rb, _ := b.Resource("Key")
	prefix := "arn:aws:secretsmanager:us-east-1:000000000000:secret:moviepipe-local-cursor-key-"
	for _, r := range []*cfn.Resource{ra, rb} {
		suffix, ok := strings.CutPrefix(r.Ref, prefix)
		if !ok || len(suffix) != 6 || strings.Trim(suffix, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != "" || r.Attrs["Id"] != r.Ref {
			t.Errorf("Ref %q, Id %q", r.Ref, r.Attrs["Id"])
		}
	}
	if ra.Ref == rb.Ref {
		t.Errorf("two secrets have the ARN %s", ra.Ref)
	}
}

// The four stacks as make package-local writes them resolve in deploy
// order, each importing the exports of those before it, and every function
// and mapping reads as goformation's types.
func TestPackagedStacks(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	exports := map[string]string{}
	for _, dir := range []string{"deploy/resources", "processor", "query-api", "scraper"} {
		path := filepath.Join(root, ".moviepipe", "package", dir, "cloudformation-template-update-stack.json")
		if _, err := os.Stat(path); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s: %v (make test runs make package-local first)", path, err)
			}
			t.Skipf("%s: %v: run make package-local", path, err)
		}
		tpl, err := cfn.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		e := env
		e.StackName = "moviepipe-" + dir
		e.Parameters = nil
		e.Imports = func(n string) (string, bool) { v, ok := exports[n]; return v, ok }
		s, err := cfn.Resolve(tpl, e)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, r := range s.Resources {
			switch r.Type {
			case "AWS::Lambda::Function":
				if _, err := cfn.As[lambda.Function](r); err != nil {
					t.Errorf("%s: %v", dir, err)
				}
			case "AWS::Lambda::EventSourceMapping":
				m, err := cfn.As[lambda.EventSourceMapping](r)
				if err != nil || m.EventSourceArn == nil || *m.EventSourceArn != exports["moviepipe-local-StreamArn"] {
					t.Errorf("%s: mapping %+v, %v", dir, m, err)
				}
			}
		}
		for k, v := range s.Exports {
			exports[k] = v
		}
		if dir == "deploy/resources" {
			checkObservability(t, s)
		}
	}
	if exports["moviepipe-local-MoviesTableArn"] != "arn:aws:dynamodb:us-east-1:000000000000:table/moviepipe-local-movies" {
		t.Fatalf("exports %v", exports)
	}
}

// checkObservability: in the shared stack as resolved here, the alarm topic
// is under its own key and the dashboard's body (a Fn::Sub) is JSON.
func checkObservability(t *testing.T, s *cfn.Stack) {
	t.Helper()
	key, _ := s.Resource("AlarmTopicKey")
	topic, _ := s.Resource("AlarmTopic")
	board, _ := s.Resource("Dashboard")
	if key == nil || topic == nil || board == nil || topic.Properties["KmsMasterKeyId"] != key.Ref {
		t.Fatalf("key %+v, topic %+v, dashboard %+v", key, topic, board)
	}
	body, _ := board.Properties["DashboardBody"].(string)
	if !json.Valid([]byte(body)) || !strings.Contains(body, `"region": "us-east-1"`) || !strings.Contains(body, "moviepipe-local-movies") {
		t.Fatalf("dashboard body %s", body)
	}
}

// The types the local cloud only notes still resolve as CloudFormation
// documents their Ref and attributes, so that what refers to them works.
func TestNotedTypesResolve(t *testing.T) {
	s, err := cfn.Resolve(parse(t, `{"Resources": {
	  "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
	  "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/a", "TargetKeyId": {"Ref": "Key"}}},
	  "Query": {"Type": "AWS::Logs::QueryDefinition", "Properties": {"Name": "q", "QueryString": "fields @message"}},
	  "Board": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardName": "b", "DashboardBody": "{}"}},
	  "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}}
	}}`), env)
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) *cfn.Resource { r, _ := s.Resource(id); return r }
	key := get("Key")
	if len(key.Ref) != 36 || key.Attrs["KeyId"] != key.Ref || key.Attrs["Arn"] != "arn:aws:kms:us-east-1:000000000000:key/"+key.Ref {
		t.Errorf("key %+v", key)
	}
	if get("Alias").Ref != "alias/a" || get("Board").Ref != "b" || get("Topic").Properties["KmsMasterKeyId"] != key.Attrs["Arn"] {
		t.Errorf("alias %q, dashboard %q, topic %v", get("Alias").Ref, get("Board").Ref, get("Topic").Properties)
	}
	if q := get("Query"); len(q.Ref) != 36 || q.Attrs["QueryDefinitionId"] != q.Ref {
		t.Errorf("query definition %+v", q)
	}
}
