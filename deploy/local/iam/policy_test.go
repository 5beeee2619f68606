package iam

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// doc decodes a policy document as CloudFormation holds it.
func doc(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("test policy is not JSON: %v", err)
	}
	return v
}

func mustParse(t *testing.T, name, text string) Policy {
	t.Helper()
	p, err := ParsePolicy(name, doc(t, text))
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	return p
}

func TestParsePolicyReadsStringsAndArraysAlike(t *testing.T) {
	want := Policy{Name: "p", Statements: []Statement{{
		Sid: "Put", Effect: Allow,
		Actions:   []string{"dynamodb:PutItem"},
		Resources: []string{"arn:aws:dynamodb:us-east-1:123456789012:table/movies"},
	}}}
	for name, text := range map[string]string{
		"object and strings": `{"Version":"2012-10-17","Statement":{"Sid":"Put","Effect":"Allow",
			"Action":"dynamodb:PutItem","Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/movies"}}`,
		"arrays": `{"Version":"2012-10-17","Statement":[{"Sid":"Put","Effect":"Allow",
			"Action":["dynamodb:PutItem"],"Resource":["arn:aws:dynamodb:us-east-1:123456789012:table/movies"]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if got := mustParse(t, "p", text); !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestParsePolicyReadsNotActionAndNotResource(t *testing.T) {
	p := mustParse(t, "p", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","NotAction":["sqs:*","kinesis:Get*"],"NotResource":"arn:aws:sqs:*:*:q"}]}`)
	s := p.Statements[0]
	if s.Effect != Deny || !reflect.DeepEqual(s.NotActions, []string{"sqs:*", "kinesis:Get*"}) ||
		!reflect.DeepEqual(s.NotResources, []string{"arn:aws:sqs:*:*:q"}) || s.Actions != nil || s.Resources != nil {
		t.Errorf("statement %+v", s)
	}
}

func TestParsePolicyReadsAnOldDocumentsVariablesAsText(t *testing.T) {
	// Without Version (2008-10-17 then) or with 2008-10-17, IAM takes
	// ${aws:username} as literal text.
	for _, version := range []string{``, `"Version":"2008-10-17",`} {
		p := mustParse(t, "old", `{`+version+`"Statement":{"Effect":"Allow","Action":"dynamodb:GetItem",
			"Resource":"arn:aws:dynamodb:us-east-1:123456789012:table/${aws:username}"}}`)
		if d := Evaluate([]Policy{p}, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/${aws:username}"); !d.Allowed {
			t.Errorf("%s: the literal text is not allowed", version)
		}
		if d := Evaluate([]Policy{p}, "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/alice"); d.Allowed {
			t.Errorf("%s: the variable was substituted", version)
		}
	}
}

func TestParsePolicyRefusesWhatItCannotEvaluate(t *testing.T) {
	const arn = `"arn:aws:sqs:us-east-1:123456789012:q"`
	stmt := func(rest string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":` + arn + `},` + rest + `]}`
	}
	for _, tc := range []struct {
		name, doc, element string
		statement          int
	}{
		{"condition", stmt(`{"Sid":"OnlyTLS","Effect":"Allow","Action":"sqs:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`), "Condition", 1},
		{"principal", stmt(`{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"}`), "Principal", 1},
		{"not principal", stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"x"},"Action":"sqs:*","Resource":"*"}`), "NotPrincipal", 1},
		{"lower-case effect", stmt(`{"Effect":"allow","Action":"sqs:*","Resource":"*"}`), "Effect", 1},
		{"no effect", stmt(`{"Action":"sqs:*","Resource":"*"}`), "Effect", 1},
		{"numeric action", stmt(`{"Effect":"Allow","Action":["sqs:SendMessage",7],"Resource":"*"}`), "Action", 1},
		{"unresolved intrinsic", stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":{"Fn::GetAtt":["Q","Arn"]}}`), "Resource", 1},
		{"action without service", stmt(`{"Effect":"Allow","Action":"SendMessage","Resource":"*"}`), "Action", 1},
		{"resource not an ARN", stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"my-queue"}`), "Resource", 1},
		{"short ARN without *", stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs"}`), "Resource", 1},
		{"policy variable", stmt(`{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/${aws:username}"}`), "Resource", 1},
		{"action and not action", stmt(`{"Effect":"Allow","Action":"sqs:*","NotAction":"sqs:Purge*","Resource":"*"}`), "NotAction", 1},
		{"no resource", stmt(`{"Effect":"Allow","Action":"sqs:*"}`), "Resource", 1},
		{"empty list", stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Action", 1},
		{"unknown element", stmt(`{"Effect":"Allow","Action":"sqs:*","Resource":"*","Comment":"x"}`), "Comment", 1},
		{"unknown version", `{"Version":"2012-10-18","Statement":[]}`, "Version", -1},
		{"no statement", `{"Version":"2012-10-17"}`, "Statement", -1},
		{"not an object", `["x"]`, "document", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePolicy("fn-role", doc(t, tc.doc))
			var perr *PolicyError
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v, want a *PolicyError", err)
			}
			if perr.Element != tc.element || perr.Statement != tc.statement || perr.Policy != "fn-role" {
				t.Errorf("refused %q of statement %d, want %q of %d: %v", perr.Element, perr.Statement, tc.element, tc.statement, err)
			}
			if !strings.Contains(err.Error(), tc.element) || !strings.Contains(err.Error(), `"fn-role"`) {
				t.Errorf("message %q does not name the policy and the element", err)
			}
		})
	}
}

func TestPolicyErrorNamesTheStatementBySid(t *testing.T) {
	_, err := ParsePolicy("p", doc(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"OnlyTLS","Effect":"Allow","Action":"sqs:*","Resource":"*","Condition":{}}]}`))
	const want = `policy "p" Statement[0] (Sid "OnlyTLS"): Condition: conditions are not evaluated by the local cloud`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
