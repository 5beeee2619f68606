package templates

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var subVariable = regexp.MustCompile(`\$\{([^}]+)\}`)

// widgetMetrics reads a dashboard body (the Fn::Sub string, its variables
// written sub:Name) into each metric widget's lines, by title: "namespace
// name dim=value … stat" or "expression: …". It checks that every
// variable names a pseudo parameter or a resource of the stack, and that
// every widget names its region.
func widgetMetrics(t *testing.T, tpl template, body string) map[string][]string {
	t.Helper()
	for _, m := range subVariable.FindAllStringSubmatch(body, -1) {
		id, _, _ := strings.Cut(m[1], ".")
		if _, ok := tpl.Resources[id]; !ok && !strings.HasPrefix(id, "AWS::") {
			t.Errorf("dashboard: ${%s} names nothing in the stack", m[1])
		}
	}
	var doc struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Title, Region, Stat string
				Period              float64
				Metrics             [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(subVariable.ReplaceAllString(body, "sub:$1")), &doc); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	out := map[string][]string{}
	for _, w := range doc.Widgets {
		p := w.Properties
		if w.Type != "metric" || p.Region != "sub:AWS::Region" || p.Title == "" {
			t.Errorf("widget %q: type %s, region %s", p.Title, w.Type, p.Region)
		}
		for _, line := range p.Metrics {
			out[p.Title] = append(out[p.Title], metricLine(line, p.Stat, p.Period))
		}
	}
	return out
}

// metricLine renders one line of a metric widget: [namespace, name,
// dimension, value, …, {options}] or [{expression}].
func metricLine(line []any, stat string, period float64) string {
	var words []string
	for _, w := range line {
		switch w := w.(type) {
		case string:
			words = append(words, w)
		case map[string]any:
			if e, ok := w["expression"].(string); ok {
				return "expression: " + e
			}
			if s, ok := w["stat"].(string); ok {
				stat = s
			}
		}
	}
	if len(words) < 2 {
		return fmt.Sprint(line)
	}
	var dims []string
	for i := 2; i+1 < len(words); i += 2 {
		dims = append(dims, words[i]+"="+words[i+1])
	}
	return fmt.Sprintf("%s %s %s %s/%g", words[0], words[1], strings.Join(dims, ","), stat, period)
}

// The dashboard shows, for the stage: films stored and stale, parked
// records by reason, the iterator age, invocation errors, throttles and
// durations, the APIs' latency and 4xx/5xx, and the tables' consumed
// capacity and throttles, each with the dimensions its metric is published
// under.
func TestDashboard(t *testing.T) {
	tpl := load(t, "resources")
	boards := ofType(tpl, "AWS::CloudWatch::Dashboard")
	board := boards["Dashboard"]
	body, _ := board["DashboardBody"].(map[string]any)["Fn::Sub"].(string)
	if len(boards) != 1 || board["DashboardName"] != "moviepipe-dev" || body == "" {
		t.Fatalf("dashboards %v", boards)
	}
	fn := func(ns, name, f, stat string) string {
		if ns == "moviepipe" {
			return fmt.Sprintf("moviepipe %s Function=moviepipe-%s-dev %s", name, f, stat)
		}
		return fmt.Sprintf("AWS/Lambda %s FunctionName=moviepipe-%s-dev %s", name, f, stat)
	}
	apiGW := func(name, api, stat string) string {
		return fmt.Sprintf("AWS/ApiGateway %s ApiName=dev-moviepipe-%s,Stage=dev %s", name, api, stat)
	}
	table := func(name, tbl, index string) string {
		return fmt.Sprintf("AWS/DynamoDB %s TableName=sub:%s%s Sum/300", name, tbl, index)
	}
	const byYear = ",GlobalSecondaryIndexName=byYear"
	want := map[string][]string{
		"Films stored and stale": {fn("moviepipe", "RecordsIn", "processor", "Sum/300"), fn("moviepipe", "RecordsStored", "processor", "Sum/300"),
			fn("moviepipe", "RecordsStale", "processor", "Sum/300"), fn("moviepipe", "RecordsRetried", "processor", "Sum/300"),
			fn("moviepipe", "RecordsPublished", "scraper", "Sum/300")},
		"Records parked, by reason": {
			`expression: SEARCH('{moviepipe,Function,Reason} MetricName="RecordsParked" Function="moviepipe-processor-dev"', 'Sum', 300)`,
			fn("moviepipe", "RecordsRejected", "scraper", "Sum/300"), fn("moviepipe", "PublishFailures", "scraper", "Sum/300"),
			"AWS/SQS ApproximateNumberOfMessagesVisible QueueName=sub:OnFailureQueue.QueueName Maximum/300"},
		"Processor iterator age and record age (ms)": {fn("AWS/Lambda", "IteratorAge", "processor", "Maximum/60"), fn("moviepipe", "RecordAge", "processor", "Maximum/60")},
		"Invocation errors and throttles": {fn("AWS/Lambda", "Errors", "scraper", "Sum/300"), fn("AWS/Lambda", "Errors", "processor", "Sum/300"),
			fn("AWS/Lambda", "Errors", "query-api", "Sum/300"), fn("AWS/Lambda", "Throttles", "scraper", "Sum/300"),
			fn("AWS/Lambda", "Throttles", "processor", "Sum/300"), fn("AWS/Lambda", "Throttles", "query-api", "Sum/300")},
		"Invocation durations, p99 (ms)": {fn("AWS/Lambda", "Duration", "scraper", "p99/300"), fn("AWS/Lambda", "Duration", "processor", "p99/300"),
			fn("AWS/Lambda", "Duration", "query-api", "p99/300")},
		"API latency (ms)": {apiGW("Latency", "query-api", "p99/300"), apiGW("Latency", "query-api", "p50/300"), apiGW("Latency", "scraper", "p99/300")},
		"API 4xx and 5xx": {apiGW("4XXError", "query-api", "Sum/300"), apiGW("5XXError", "query-api", "Sum/300"),
			apiGW("4XXError", "scraper", "Sum/300"), apiGW("5XXError", "scraper", "Sum/300")},
		"DynamoDB consumed capacity": {table("ConsumedReadCapacityUnits", "MoviesTable", ""), table("ConsumedWriteCapacityUnits", "MoviesTable", ""),
			table("ConsumedReadCapacityUnits", "ErrorsTable", ""), table("ConsumedWriteCapacityUnits", "ErrorsTable", "")},
		"DynamoDB throttled events": {table("ReadThrottleEvents", "MoviesTable", ""), table("WriteThrottleEvents", "MoviesTable", ""),
			table("ReadThrottleEvents", "MoviesTable", byYear), table("WriteThrottleEvents", "MoviesTable", byYear),
			table("ReadThrottleEvents", "ErrorsTable", ""), table("WriteThrottleEvents", "ErrorsTable", "")},
	}
	got := widgetMetrics(t, tpl, body)
	for title, lines := range want {
		if !slices.Equal(got[title], lines) {
			t.Errorf("widget %q:\n got %s\nwant %s", title, strings.Join(got[title], "\n     "), strings.Join(lines, "\n     "))
		}
	}
	for title := range got {
		if want[title] == nil {
			t.Errorf("widget %q is not checked here", title)
		}
	}
	checkNamesExist(t, body)
}

// checkNamesExist holds the names the dashboard uses to what the service
// stacks declare: each function's name and each REST API's name.
func checkNamesExist(t *testing.T, body string) {
	t.Helper()
	for _, stack := range []string{"processor", "query-api", "scraper"} {
		tpl := load(t, stack)
		for _, typ := range []string{"AWS::Lambda::Function", "AWS::ApiGateway::RestApi"} {
			prop := map[string]string{"AWS::Lambda::Function": "FunctionName", "AWS::ApiGateway::RestApi": "Name"}[typ]
			for id, r := range ofType(tpl, typ) {
				if name := fmt.Sprint(r[prop]); !strings.Contains(body, `"`+name+`"`) {
					t.Errorf("%s %s: the dashboard does not show %s %s", stack, id, prop, name)
				}
			}
		}
	}
}

// Saved Logs Insights queries: one film's path by movie id, parked records
// by reason, a run's timeline by run id, cold starts; each over the log
// groups of the functions that log what it asks for (/aws/lambda/<name>,
// names as the service stacks declare them), on the JSON log fields.
func TestSavedQueries(t *testing.T) {
	groups := map[string]string{}
	for _, stack := range []string{"processor", "query-api", "scraper"} {
		for _, fn := range ofType(load(t, stack), "AWS::Lambda::Function") {
			groups[stack] = "/aws/lambda/" + fmt.Sprint(fn["FunctionName"])
		}
	}
	all := []string{groups["scraper"], groups["processor"], groups["query-api"]}
	want := map[string]struct {
		name   string
		groups []string
		query  string
	}{
		"FilmPathQuery": {"moviepipe-dev/film-path-by-movie-id", all,
			"fields @timestamp, @log, level, message, runId, traceId, requestId\n| filter movieId = \"MOVIE_ID\"\n| sort @timestamp asc\n| limit 500\n"},
		"ParkedByReasonQuery": {"moviepipe-dev/parked-records-by-reason", []string{groups["processor"]},
			"filter ispresent(Reason) and RecordsParked > 0\n| stats sum(RecordsParked) as parked by Reason, bin(1h)\n| sort parked desc\n"},
		"RunTimelineQuery": {"moviepipe-dev/run-timeline-by-run-id", []string{groups["scraper"], groups["processor"]},
			"fields @timestamp, @log, level, message, movieId, requestId, PagesFetched, RecordsPublished, RecordsRejected\n" +
				"| filter runId = \"RUN_ID\" or RunId = \"RUN_ID\"\n| sort @timestamp asc\n| limit 1000\n"},
		"ColdStartsQuery": {"moviepipe-dev/cold-starts", all,
			"filter type = \"platform.report\" and ispresent(record.metrics.initDurationMs)\n" +
				"| stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, max(record.metrics.initDurationMs) as maxInitMs by @log, bin(1h)\n"},
	}
	got := ofType(load(t, "resources"), "AWS::Logs::QueryDefinition")
	if len(got) != len(want) {
		t.Errorf("%d query definitions; want %d", len(got), len(want))
	}
	for id, w := range want {
		q := got[id]
		var lg []string
		for _, g := range list(q["LogGroupNames"]) {
			lg = append(lg, fmt.Sprint(g))
		}
		if q["Name"] != w.name || !slices.Equal(lg, w.groups) || q["QueryString"] != w.query {
			t.Errorf("%s: name %v, groups %v, query\n%v\nwant %s, %v,\n%s", id, q["Name"], lg, q["QueryString"], w.name, w.groups, w.query)
		}
	}
}
