package iam

import (
	"strings"
	"testing"
)

const (
	movies    = "arn:aws:dynamodb:us-east-1:123456789012:table/movies-dev"
	errs      = "arn:aws:dynamodb:us-east-1:123456789012:table/errors-dev"
	yearIndex = movies + "/index/year"
	stream    = "arn:aws:kinesis:us-east-1:123456789012:stream/movies-dev"
)

func TestEvaluate(t *testing.T) {
	processor := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Movies","Effect":"Allow","Action":"dynamodb:PutItem","Resource":"` + movies + `"},
		{"Sid":"Stream","Effect":"Allow","Action":["kinesis:Get*","kinesis:Describe*"],"Resource":"` + stream + `"}]}`
	for _, tc := range []struct {
		name, policy, action, resource string
		want                           Decision
	}{
		{"allow", processor, "dynamodb:PutItem", movies, Decision{Allowed: true, Policy: "p", Statement: 0, Sid: "Movies"}},
		{"implicit deny: other action", processor, "dynamodb:DeleteItem", movies, Decision{Statement: -1}},
		{"implicit deny: other table", processor, "dynamodb:PutItem", errs, Decision{Statement: -1}},
		{"wildcard action suffix", processor, "kinesis:GetShardIterator", stream, Decision{Allowed: true, Policy: "p", Statement: 1, Sid: "Stream"}},
		{"action is case-insensitive", processor, "DynamoDB:putitem", movies, Decision{Allowed: true, Policy: "p", Statement: 0, Sid: "Movies"}},
		{"resource is case-sensitive", processor, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Movies-dev", Decision{Statement: -1}},
		{"service wildcard", allow("dynamodb:*", movies), "dynamodb:Query", movies, allowed()},
		{"service wildcard stays in its service", allow("dynamodb:*", "*"), "kinesis:PutRecords", stream, Decision{Statement: -1}},
		{"every action", allow("*", "*"), "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", allowed()},
		{"one-character action wildcard", allow("dynamodb:?etItem", movies), "dynamodb:GetItem", movies, allowed()},
		{"region and account wildcards", allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/movies-*"), "dynamodb:GetItem", movies, allowed()},
		{"name prefix wildcard does not widen", allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/movies-*"), "dynamodb:GetItem", errs, Decision{Statement: -1}},
		{"* crosses / in the resource", allow("dynamodb:Query", "arn:aws:dynamodb:*:*:table/movies-dev*"), "dynamodb:Query", yearIndex, allowed()},
		{"table is not its index", allow("dynamodb:Query", movies), "dynamodb:Query", yearIndex, Decision{Statement: -1}},
		{"index wildcard", allow("dynamodb:Query", movies+"/index/*"), "dynamodb:Query", yearIndex, allowed()},
		{"? is one character", allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q?"), "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q1", allowed()},
		{"? is not none", allow("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q?"), "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", Decision{Statement: -1}},
		{"mid-segment * stays in its segment", allow("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:a*z"), "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:a:z", Decision{Statement: -1}},
		{"segment-ending * crosses colons", allow("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:fn*"), "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:fn:live", allowed()},
		{"unqualified ARN is not the alias", allow("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:fn"), "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:fn:live", Decision{Statement: -1}},
		{"short ARN ending in * covers the rest", allow("dynamodb:GetItem", "arn:aws:dynamodb:*"), "dynamodb:GetItem", movies, allowed()},
		{"short ARN stays in its service", allow("dynamodb:GetItem", "arn:aws:dynamodb:*"), "dynamodb:GetItem", "arn:aws:sqs:us-east-1:123456789012:q", Decision{Statement: -1}},
		{"* resource is not every ARN pattern", allow("sqs:ListQueues", "arn:aws:sqs:*:*:*"), "sqs:ListQueues", "*", Decision{Statement: -1}},
		{"NotAction allows the rest", `{"Statement":{"Effect":"Allow","NotAction":"dynamodb:Delete*","Resource":"*"}}`, "dynamodb:PutItem", movies, allowed()},
		{"NotAction excludes what it names", `{"Statement":{"Effect":"Allow","NotAction":"dynamodb:Delete*","Resource":"*"}}`, "dynamodb:DeleteItem", movies, Decision{Statement: -1}},
		{"NotResource allows the rest", `{"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","NotResource":"` + errs + `"}}`, "dynamodb:GetItem", movies, allowed()},
		{"NotResource excludes what it names", `{"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem","NotResource":"` + errs + `"}}`, "dynamodb:GetItem", errs, Decision{Statement: -1}},
		{"empty resource is never allowed", `{"Statement":{"Effect":"Allow","Action":"*","NotResource":"` + errs + `"}}`, "kinesis:GetRecords", "", Decision{Statement: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate([]Policy{mustParse(t, "p", tc.policy)}, tc.action, tc.resource)
			if got != tc.want {
				t.Errorf("Evaluate(%s, %s) = %+v, want %+v", tc.action, tc.resource, got, tc.want)
			}
		})
	}
}

func allow(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}}`
}

func allowed() Decision { return Decision{Allowed: true, Policy: "p", Statement: 0} }

func TestEvaluateExplicitDenyWinsAcrossPolicies(t *testing.T) {
	grant := mustParse(t, "grant", `{"Version":"2012-10-17","Statement":[
		{"Sid":"All","Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`)
	guard := mustParse(t, "guard", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Other","Effect":"Allow","Action":"sqs:*","Resource":"*"},
		{"Sid":"NoDeletes","Effect":"Deny","Action":"dynamodb:Delete*","Resource":"arn:aws:dynamodb:*:*:table/movies-*"}]}`)
	for _, tc := range []struct {
		name             string
		policies         []Policy
		action, resource string
		want             Decision
	}{
		{"deny wins over an earlier allow", []Policy{grant, guard}, "dynamodb:DeleteItem", movies,
			Decision{ExplicitDeny: true, Policy: "guard", Statement: 1, Sid: "NoDeletes"}},
		{"deny wins over a later allow", []Policy{guard, grant}, "dynamodb:DeleteItem", movies,
			Decision{ExplicitDeny: true, Policy: "guard", Statement: 1, Sid: "NoDeletes"}},
		{"the deny's resource bounds it", []Policy{grant, guard}, "dynamodb:DeleteItem", errs,
			Decision{Allowed: true, Policy: "grant", Statement: 0, Sid: "All"}},
		{"allow from the second policy", []Policy{grant, guard}, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q",
			Decision{Allowed: true, Policy: "guard", Statement: 0, Sid: "Other"}},
		{"no policies", nil, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", Decision{Statement: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Evaluate(tc.policies, tc.action, tc.resource); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestGlobIsLinear(t *testing.T) {
	// A backtracking matcher takes exponential time on this; ours is a table.
	pattern := "arn:aws:s3:::" + strings.Repeat("*a", 30) + "b"
	if matchResource(pattern, "arn:aws:s3:::"+strings.Repeat("a", 200)) {
		t.Error("matched")
	}
}
