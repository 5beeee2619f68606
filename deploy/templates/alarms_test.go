package templates

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// metric is one metric an alarm or a dashboard widget reads. Dims lists
// Name=value pairs, values rendered by value.
type metric struct {
	Namespace, Name, Dims, Stat string
	Period                      float64
}

// alarm is what an AWS::CloudWatch::Alarm decides and whom it tells: one
// metric, or an expression over metrics (by id).
type alarm struct {
	Metric     metric
	Expression string
	Of         map[string]metric
	Threshold  float64
	Comparison string
	Periods    float64
	Missing    string
	Actions    string
}

// value renders a property value: a string as is, an intrinsic as
// ref:X, X.Attr (Fn::GetAtt) or import:name.
func value(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if r, ok := v["Ref"].(string); ok {
			return "ref:" + r
		}
		if a, ok := v["Fn::GetAtt"].([]any); ok && len(a) == 2 {
			return fmt.Sprintf("%v.%v", a[0], a[1])
		}
		if i, ok := v["Fn::ImportValue"].(string); ok {
			return "import:" + i
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func dims(v any) string {
	var out []string
	for _, d := range list(v) {
		d, _ := d.(map[string]any)
		out = append(out, fmt.Sprintf("%v=%s", d["Name"], value(d["Value"])))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// alarmOf reads an alarm's properties; a property it does not read is an
// error, so that nothing an alarm does escapes the table below.
func alarmOf(t *testing.T, id string, p map[string]any) alarm {
	t.Helper()
	known := []string{"AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "Period",
		"Metrics", "Threshold", "ComparisonOperator", "EvaluationPeriods", "TreatMissingData", "AlarmActions"}
	for k := range p {
		if !slices.Contains(known, k) {
			t.Errorf("%s: property %s is not checked here", id, k)
		}
	}
	var acts []string
	for _, a := range list(p["AlarmActions"]) {
		acts = append(acts, value(a))
	}
	a := alarm{Threshold: num(p["Threshold"]), Comparison: fmt.Sprint(p["ComparisonOperator"]), Periods: num(p["EvaluationPeriods"]),
		Missing: fmt.Sprint(p["TreatMissingData"]), Actions: strings.Join(acts, " ")}
	if p["Metrics"] == nil {
		a.Metric = metric{fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"]), dims(p["Dimensions"]), fmt.Sprint(p["Statistic"]), num(p["Period"])}
		return a
	}
	a.Of = map[string]metric{}
	for _, q := range p["Metrics"].([]any) {
		q := q.(map[string]any)
		if e, ok := q["Expression"].(string); ok {
			if q["ReturnData"] == false || a.Expression != "" {
				t.Errorf("%s: expression %s: want one expression, the one returned", id, e)
			}
			a.Expression = e
			continue
		}
		if q["ReturnData"] != false {
			t.Errorf("%s: metric %v is returned beside the expression", id, q["Id"])
		}
		ms := q["MetricStat"].(map[string]any)
		m := ms["Metric"].(map[string]any)
		a.Of[fmt.Sprint(q["Id"])] = metric{fmt.Sprint(m["Namespace"]), fmt.Sprint(m["MetricName"]), dims(m["Dimensions"]), fmt.Sprint(ms["Stat"]), num(ms["Period"])}
	}
	return a
}

const (
	topic    = "import:moviepipe-dev-AlarmTopicArn"
	above    = "GreaterThanThreshold"
	quiet    = "notBreaching"
	function = "FunctionName=moviepipe-"
)

// anyAbove fires when the metric or expression is above 0 in one 5-minute
// period, treats no data as no trouble, and notifies the topic.
func anyAbove(m metric, actions string) alarm {
	return alarm{Metric: m, Threshold: 0, Comparison: above, Periods: 1, Missing: quiet, Actions: actions}
}

func sum(ns, name, dims string) metric { return metric{ns, name, dims, "Sum", 300} }

func lambdaSum(name, fn string) metric { return sum("AWS/Lambda", name, function+fn+"-dev") }

func mathAbove(expr string, of map[string]metric, actions string) alarm {
	return alarm{Expression: expr, Of: of, Threshold: 0, Comparison: above, Periods: 1, Missing: quiet, Actions: actions}
}

// Every alarm, exactly: its metric (namespace, name, dimensions, statistic,
// period), threshold, comparison, evaluation periods, missing data and
// action. An alarm added or changed without this table fails.
func TestAlarms(t *testing.T) {
	throttles := func(table string) metric { return sum("AWS/DynamoDB", "", "TableName=ref:"+table) }
	named := func(m metric, name, extra string) metric {
		m.Name = name
		if extra != "" {
			m.Dims = extra + "," + m.Dims
		}
		return m
	}
	movies, errs, byYear := throttles("MoviesTable"), throttles("ErrorsTable"), "GlobalSecondaryIndexName=byYear"
	emf := func(name, fn string) metric { return sum("moviepipe", name, "Function=moviepipe-"+fn+"-dev") }
	api := func(name string) metric {
		return sum("AWS/ApiGateway", "5XXError", "ApiName=dev-moviepipe-"+name+",Stage=dev")
	}
	want := map[string]map[string]alarm{
		"resources": {
			"OnFailureQueueDepthAlarm": anyAbove(metric{"AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName=OnFailureQueue.QueueName", "Maximum", 300}, "ref:AlarmTopic"),
			"MoviesTableThrottlesAlarm": mathAbove("FILL(reads, 0) + FILL(writes, 0) + FILL(indexReads, 0) + FILL(indexWrites, 0)", map[string]metric{
				"reads": named(movies, "ReadThrottleEvents", ""), "writes": named(movies, "WriteThrottleEvents", ""),
				"indexReads": named(movies, "ReadThrottleEvents", byYear), "indexWrites": named(movies, "WriteThrottleEvents", byYear),
			}, "ref:AlarmTopic"),
			"ErrorsTableThrottlesAlarm": mathAbove("FILL(reads, 0) + FILL(writes, 0)", map[string]metric{
				"reads": named(errs, "ReadThrottleEvents", ""), "writes": named(errs, "WriteThrottleEvents", ""),
			}, "ref:AlarmTopic"),
		},
		"processor": {
			"IteratorAgeAlarm": {Metric: metric{"AWS/Lambda", "IteratorAge", function + "processor-dev", "Maximum", 60},
				Threshold: 60000, Comparison: above, Periods: 5, Missing: quiet, Actions: topic},
			"ProcessorErrorsAlarm":    anyAbove(lambdaSum("Errors", "processor"), topic),
			"ProcessorThrottlesAlarm": anyAbove(lambdaSum("Throttles", "processor"), topic),
			"ErrorTableWritesAlarm":   anyAbove(emf("RecordsParked", "processor"), topic),
		},
		"query-api": {
			"Api5xxAlarm":       anyAbove(api("query-api"), topic),
			"ApiErrorsAlarm":    anyAbove(lambdaSum("Errors", "query-api"), topic),
			"ApiThrottlesAlarm": anyAbove(lambdaSum("Throttles", "query-api"), topic),
		},
		"scraper": {
			"ScraperApi5xxAlarm":    anyAbove(api("scraper"), topic),
			"ScraperErrorsAlarm":    anyAbove(lambdaSum("Errors", "scraper"), topic),
			"ScraperThrottlesAlarm": anyAbove(lambdaSum("Throttles", "scraper"), topic),
			"ScraperRejectsAlarm": mathAbove("rejected + failed", map[string]metric{
				"rejected": emf("RecordsRejected", "scraper"), "failed": emf("PublishFailures", "scraper"),
			}, topic),
		},
	}
	for stack, alarms := range want {
		t.Run(stack, func(t *testing.T) {
			got := ofType(load(t, stack), "AWS::CloudWatch::Alarm")
			if ids, wids := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(alarms)); !slices.Equal(ids, wids) {
				t.Fatalf("alarms %v; want %v", ids, wids)
			}
			for id, p := range got {
				if a := alarmOf(t, id, p); !reflect.DeepEqual(a, alarms[id]) {
					t.Errorf("%s:\n got %+v\nwant %+v", id, a, alarms[id])
				}
				if d := fmt.Sprint(p["AlarmDescription"]); !strings.Contains(d, "docs/operations.md") {
					t.Errorf("%s: description %q does not point at docs/operations.md", id, d)
				}
			}
		})
	}
}

// The alarm topic is encrypted with a key of its own, which the account
// administers (without that statement CloudFormation refuses the policy)
// and which CloudWatch may use, for this account's alarms of this stage
// only, to publish: alarms cannot publish to a topic under the AWS managed
// key alias/aws/sns. Every alarm's name matches the key policy's pattern,
// or CloudWatch would be refused and its notification dropped.
func TestAlarmTopicKeyLetsCloudWatchPublish(t *testing.T) {
	res := load(t, "resources")
	topics := ofType(res, "AWS::SNS::Topic")
	if k := value(topics["AlarmTopic"]["KmsMasterKeyId"]); len(topics) != 1 || k != "ref:AlarmTopicKey" {
		t.Fatalf("topics %v: the alarm topic's key is %s, want ref:AlarmTopicKey", topics, k)
	}
	key := ofType(res, "AWS::KMS::Key")["AlarmTopicKey"]
	if key["EnableKeyRotation"] != true {
		t.Errorf("key rotation %v", key["EnableKeyRotation"])
	}
	pattern := "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:moviepipe-dev-*"
	var want any
	_ = json.Unmarshal([]byte(`[
	  {"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, "Action": "kms:*", "Resource": "*"},
	  {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
	   "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}, "ArnLike": {"aws:SourceArn": {"Fn::Sub": "`+pattern+`"}}}}]`), &want)
	policy, _ := key["KeyPolicy"].(map[string]any)
	statements, _ := policy["Statement"].([]any)
	for _, s := range statements {
		delete(s.(map[string]any), "Sid")
	}
	if !reflect.DeepEqual(statements, want) || policy["Version"] != "2012-10-17" {
		b, _ := json.MarshalIndent(policy, "", " ")
		t.Errorf("key policy\n%s", b)
	}
	alias := ofType(res, "AWS::KMS::Alias")["AlarmTopicKeyAlias"]
	if alias["AliasName"] != "alias/moviepipe-dev-alarms" || value(alias["TargetKeyId"]) != "ref:AlarmTopicKey" {
		t.Errorf("alias %v", alias)
	}
	namePattern := pattern[strings.LastIndex(pattern, ":")+1:]
	for stack := range stacks {
		for id, a := range ofType(load(t, stack), "AWS::CloudWatch::Alarm") {
			if ok, _ := path.Match(namePattern, fmt.Sprint(a["AlarmName"])); !ok {
				t.Errorf("%s %s: name %v is not %s: CloudWatch could not use the topic's key", stack, id, a["AlarmName"], namePattern)
			}
		}
	}
}
