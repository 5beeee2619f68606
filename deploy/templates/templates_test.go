package templates

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// template is a generated CloudFormation template.
type template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
	Outputs map[string]struct {
		Export struct{ Name string } `json:"Export"`
	} `json:"Outputs"`
}

var stacks = map[string]string{"resources": "deploy/resources", "processor": "processor", "query-api": "query-api", "scraper": "scraper"}

func root(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..")
}

// load reads a stack's template; make package writes it (for stage dev).
func load(t *testing.T, stack string) template {
	t.Helper()
	path := filepath.Join(root(t), stacks[stack], ".serverless", "cloudformation-template-update-stack.json")
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "true" && os.IsNotExist(err) {
			t.Skipf("%s not generated: run make package (make test does)", path)
		}
		t.Fatalf("%v: run make package (make test does)", err)
	}
	var tpl template
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

func ofType(tpl template, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tpl.Resources {
		if r.Type == typ {
			out[id] = r.Properties
		}
	}
	return out
}

func TestFunctions(t *testing.T) {
	for _, stack := range []string{"processor", "query-api", "scraper"} {
		t.Run(stack, func(t *testing.T) {
			fns := ofType(load(t, stack), "AWS::Lambda::Function")
			if len(fns) != 1 {
				t.Fatalf("%d functions", len(fns))
			}
			for id, p := range fns {
				if p["Runtime"] != "provided.al2023" || p["Handler"] != "bootstrap" {
					t.Errorf("%s: runtime %v, handler %v", id, p["Runtime"], p["Handler"])
				}
				if archs, _ := p["Architectures"].([]any); len(archs) != 1 || archs[0] != "arm64" {
					t.Errorf("%s: architectures %v", id, p["Architectures"])
				}
				if tc, _ := p["TracingConfig"].(map[string]any); tc["Mode"] != "Active" {
					t.Errorf("%s: tracing %v", id, p["TracingConfig"])
				}
				key := p["Code"].(map[string]any)["S3Key"].(string)
				if !strings.HasSuffix(key, "/"+stack+".zip") {
					t.Errorf("%s: code %s is not %s.zip", id, key, stack)
				}
			}
			// The artifact exists and holds an executable bootstrap.
			z, err := zip.OpenReader(filepath.Join(root(t), "dist", stack+".zip"))
			if err != nil {
				t.Fatal(err)
			}
			defer z.Close()
			if len(z.File) != 1 || z.File[0].Name != "bootstrap" || z.File[0].Mode()&0o111 == 0 {
				t.Fatalf("zip holds %v", z.File)
			}
		})
	}
}

func TestImportsNameExports(t *testing.T) {
	exports := map[string]bool{}
	for _, o := range load(t, "resources").Outputs {
		exports[o.Export.Name] = true
	}
	if len(exports) < 8 {
		t.Fatalf("resources exports only %v", exports)
	}
	for _, stack := range []string{"processor", "query-api", "scraper"} {
		data, _ := json.Marshal(load(t, stack))
		var walk func(v any)
		n := 0
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if name, ok := v["Fn::ImportValue"]; ok {
					n++
					if s, ok := name.(string); !ok || !exports[s] {
						t.Errorf("%s imports %v, which the resources stack does not export", stack, name)
					}
				}
				for _, c := range v {
					walk(c)
				}
			case []any:
				for _, c := range v {
					walk(c)
				}
			}
		}
		var doc any
		_ = json.Unmarshal(data, &doc)
		walk(doc)
		if n == 0 {
			t.Errorf("%s imports nothing", stack)
		}
		if strings.Contains(string(data), "${cf:") {
			t.Errorf("%s uses ${cf:}", stack)
		}
	}
}

// pairs lists a role's (action, resource) pairs, resources written as the
// export they import, or as the literal/Sub text.
func pairs(t *testing.T, tpl template) []string {
	t.Helper()
	var out []string
	for _, role := range ofType(tpl, "AWS::IAM::Role") {
		for _, pol := range role["Policies"].([]any) {
			doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
			for _, st := range doc["Statement"].([]any) {
				st := st.(map[string]any)
				if st["Effect"] != "Allow" {
					t.Errorf("statement %v is not Allow", st)
				}
				for _, a := range list(st["Action"]) {
					for _, r := range list(st["Resource"]) {
						out = append(out, a.(string)+" "+resource(r))
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func list(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func resource(r any) string {
	switch r := r.(type) {
	case string:
		return r
	case map[string]any:
		if v, ok := r["Fn::ImportValue"]; ok {
			return "import:" + v.(string)
		}
		if v, ok := r["Fn::Sub"]; ok {
			return "sub:" + v.(string)
		}
	}
	b, _ := json.Marshal(r)
	return string(b)
}

const (
	logs   = "sub:arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/lambda/"
	stream = "import:moviepipe-dev-StreamArn"
)

func TestIAMIsExactlyWhatEachFunctionNeeds(t *testing.T) {
	logsFor := func(fn string) []string {
		return []string{
			"logs:CreateLogGroup " + logs + fn + "*:*", "logs:CreateLogStream " + logs + fn + "*:*",
			"logs:PutLogEvents " + logs + fn + "*:*:*", "logs:TagResource " + logs + fn + "*:*",
			"xray:PutTelemetryRecords *", "xray:PutTraceSegments *",
		}
	}
	want := map[string][]string{
		"processor": append(logsFor("moviepipe-processor-dev"),
			// Movies only by conditional PutItem (docs/data.md); parked records in batches.
			"dynamodb:PutItem import:moviepipe-dev-MoviesTableArn",
			"dynamodb:BatchWriteItem import:moviepipe-dev-ErrorsTableArn",
			"kinesis:DescribeStream "+stream, "kinesis:DescribeStreamSummary "+stream, "kinesis:GetRecords "+stream,
			"kinesis:GetShardIterator "+stream, "kinesis:ListShards "+stream,
			// osls adds ListStreams and ListQueues for the event source and its
			// destination; on these ARNs they grant nothing more.
			"kinesis:ListStreams "+stream,
			"sqs:ListQueues import:moviepipe-dev-OnFailureQueueArn", "sqs:SendMessage import:moviepipe-dev-OnFailureQueueArn"),
		"query-api": append(logsFor("moviepipe-query-api-dev"),
			"dynamodb:GetItem import:moviepipe-dev-MoviesTableArn", "dynamodb:Scan import:moviepipe-dev-MoviesTableArn",
			"dynamodb:Query import:moviepipe-dev-MoviesYearIndexArn",
			// The cursor key, read once at start (secrets_test.go).
			"secretsmanager:GetSecretValue import:moviepipe-dev-CursorKeySecretArn"),
		"scraper": append(logsFor("moviepipe-scraper-dev"),
			"kinesis:PutRecords "+stream, "dynamodb:PutItem import:moviepipe-dev-ErrorsTableArn",
			"dynamodb:PutItem import:moviepipe-dev-RunsTableArn", "dynamodb:GetItem import:moviepipe-dev-RunsTableArn",
			"dynamodb:DeleteItem import:moviepipe-dev-RunsTableArn",
			`lambda:InvokeFunction {"Fn::Join":[":",["arn",{"Ref":"AWS::Partition"},"lambda",{"Ref":"AWS::Region"},{"Ref":"AWS::AccountId"},"function","moviepipe-scraper-dev"]]}`),
	}
	for stack, w := range want {
		t.Run(stack, func(t *testing.T) {
			got := pairs(t, load(t, stack))
			sort.Strings(w)
			if !slices.Equal(got, w) {
				t.Fatalf("IAM pairs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
			}
			for _, p := range got {
				action, res, _ := strings.Cut(p, " ")
				if strings.Contains(action, "*") {
					t.Errorf("wildcard action %s", action)
				}
				if res == "*" && !strings.HasPrefix(action, "xray:") {
					t.Errorf("%s on every resource", action)
				}
			}
		})
	}
}

func TestProcessorMapping(t *testing.T) {
	esms := ofType(load(t, "processor"), "AWS::Lambda::EventSourceMapping")
	if len(esms) != 1 {
		t.Fatalf("%d mappings", len(esms))
	}
	for _, m := range esms {
		types, _ := m["FunctionResponseTypes"].([]any)
		dest := m["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any)["Destination"]
		checks := map[string]bool{
			"ReportBatchItemFailures":    slices.Contains(types, any("ReportBatchItemFailures")),
			"BisectBatchOnFunctionError": m["BisectBatchOnFunctionError"] == true,
			"MaximumRetryAttempts":       num(m["MaximumRetryAttempts"]) > 0 && num(m["MaximumRetryAttempts"]) <= 100,
			"MaximumRecordAgeInSeconds":  num(m["MaximumRecordAgeInSeconds"]) >= 60,
			"BatchSize":                  num(m["BatchSize"]) > 0,
			"MaximumBatchingWindow":      m["MaximumBatchingWindowInSeconds"] != nil,
			"StartingPosition":           m["StartingPosition"] == "TRIM_HORIZON",
			"on-failure queue":           resource(dest) == "import:moviepipe-dev-OnFailureQueueArn",
			"the stream":                 resource(m["EventSourceArn"]) == stream,
		}
		for name, ok := range checks {
			if !ok {
				t.Errorf("mapping lacks %s: %v", name, m)
			}
		}
	}
}

// The processor's memory buys the CPU a saturated shard needs (1,000
// records/s at up to 390 µs each, traced: 0.39 vCPU, which 1,024 MB gives;
// processor/serverless.yml, BenchmarkBatchSDK), and its Go collector runs
// with Go's defaults: nothing measured asks for tuning.
func TestProcessorCPUShare(t *testing.T) {
	for id, p := range ofType(load(t, "processor"), "AWS::Lambda::Function") {
		if mb := num(p["MemorySize"]); mb < 1024 {
			t.Errorf("%s: MemorySize %v; want at least 1,024 MB", id, mb)
		}
		vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		for _, k := range []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS"} {
			if v, ok := vars[k]; ok {
				t.Errorf("%s: %s=%v; want Go's default", id, k, v)
			}
		}
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

func TestRoutes(t *testing.T) {
	tests := map[string]struct {
		auth   string
		routes []string
	}{
		"scraper":   {"AWS_IAM", []string{"POST", "GET", "GET"}}, // POST /scrapes, GET /scrapes/{runId}, GET /scrap_movies
		"query-api": {"NONE", []string{"GET", "GET"}},
	}
	for stack, tt := range tests {
		tpl := load(t, stack)
		methods := ofType(tpl, "AWS::ApiGateway::Method")
		var got []string
		for id, m := range methods {
			got = append(got, m["HttpMethod"].(string))
			if m["AuthorizationType"] != tt.auth {
				t.Errorf("%s %s: authorization %v, want %s", stack, id, m["AuthorizationType"], tt.auth)
			}
			if integ := m["Integration"].(map[string]any); integ["Type"] != "AWS_PROXY" {
				t.Errorf("%s %s: integration %v, want the REST v1 proxy", stack, id, integ["Type"])
			}
		}
		sort.Strings(got)
		sort.Strings(tt.routes)
		if !slices.Equal(got, tt.routes) {
			t.Errorf("%s methods %v, want %v", stack, got, tt.routes)
		}
		if n := len(ofType(tpl, "AWS::ApiGatewayV2::Api")); n != 0 {
			t.Errorf("%s has an HTTP API: it would drop X-Ray tracing", stack)
		}
	}
	// One run at a time is the lease in the runs table, not reserved
	// concurrency, which a new account (quota 10, 10 kept unreserved)
	// cannot grant (docs/deploy.md).
	for _, fn := range ofType(load(t, "scraper"), "AWS::Lambda::Function") {
		vars, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
		if _, reserved := fn["ReservedConcurrentExecutions"]; reserved || num(fn["Timeout"]) < 60 || resource(vars["RUNS_TABLE"]) != "import:moviepipe-dev-RunsTableName" {
			t.Errorf("scraper: reserved concurrency %v, timeout %v, RUNS_TABLE %v", fn["ReservedConcurrentExecutions"], fn["Timeout"], vars["RUNS_TABLE"])
		}
	}
	// Stage throttling is an UpdateStage after deploy (the stage-throttling
	// plugin), never the Deployment's StageDescription: osls makes a new
	// Deployment on each changed deploy, and CloudFormation rejects one whose
	// StageDescription names an existing stage.
	for stack := range stacks {
		for id, d := range ofType(load(t, stack), "AWS::ApiGateway::Deployment") {
			if _, ok := d["StageDescription"]; ok {
				t.Errorf("%s %s has a StageDescription: the second deploy would fail", stack, id)
			}
		}
	}
	var state struct {
		Service struct {
			Plugins []string
			Custom  struct {
				StageThrottling struct{ RateLimit, BurstLimit float64 }
			}
		}
	}
	loadState(t, "query-api", &state)
	th := state.Service.Custom.StageThrottling
	if !slices.Contains(state.Service.Plugins, "moviepipe-stage-throttling") || th.RateLimit <= 0 || th.BurstLimit <= 0 {
		t.Errorf("query-api stage is not throttled: plugins %v, custom.stageThrottling %+v", state.Service.Plugins, th)
	}
}

// loadState reads the serverless-state.json make package writes beside a
// stack's template: the resolved service, custom settings included.
func loadState(t *testing.T, stack string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root(t), stacks[stack], ".serverless", "serverless-state.json"))
	if err != nil {
		t.Fatalf("%v: run make package (make test does)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func TestSharedResources(t *testing.T) {
	tpl := load(t, "resources")
	tables := ofType(tpl, "AWS::DynamoDB::Table")
	movies, errs := tables["MoviesTable"], tables["ErrorsTable"]
	if movies == nil || errs == nil {
		t.Fatalf("tables %v", tables)
	}
	for name, tb := range tables {
		pitr, _ := tb["PointInTimeRecoverySpecification"].(map[string]any)
		// The runs table holds leases, 24-hour idempotency keys and run statuses
		// that expire in 30 days: nothing worth restoring.
		if tb["BillingMode"] != "PAY_PER_REQUEST" || tb["SSESpecification"] == nil || name != "RunsTable" && pitr["PointInTimeRecoveryEnabled"] != true {
			t.Errorf("%s: %v", name, tb)
		}
		if !strings.Contains(fmt.Sprint(tb["TableName"]), "-dev-") {
			t.Errorf("%s name %v does not carry the stage", name, tb["TableName"])
		}
	}
	// A deployed stage's movies table survives make remove (docs/deploy.md).
	if movies["DeletionProtectionEnabled"] != true {
		t.Errorf("movies table deletion protection %v", movies["DeletionProtectionEnabled"])
	}
	if gsi := fmt.Sprint(movies["GlobalSecondaryIndexes"]); !strings.Contains(gsi, "byYear") {
		t.Errorf("movies table has no byYear index: %s", gsi)
	}
	if ttl := errs["TimeToLiveSpecification"].(map[string]any); ttl["AttributeName"] != "expiresAt" || ttl["Enabled"] != true {
		t.Errorf("errors table TTL %v", ttl)
	}
	q := ofType(tpl, "AWS::SQS::Queue")["OnFailureQueue"]
	if num(q["MessageRetentionPeriod"]) != 14*24*3600 || q["SqsManagedSseEnabled"] != true {
		t.Errorf("queue %v", q)
	}
	s := ofType(tpl, "AWS::Kinesis::Stream")["MovieStream"]
	if !strings.Contains(fmt.Sprint(s["StreamModeDetails"]), "ON_DEMAND") || s["StreamEncryption"] == nil {
		t.Errorf("stream %v", s)
	}
}
