package iam

import (
	"fmt"
	"sort"
	"strings"
)

// Effect is what a statement does to the requests it matches.
type Effect string

// The two effects IAM knows.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Policy is an identity-based policy document, named as the role names it
// (a CloudFormation role's PolicyName).
type Policy struct {
	Name       string
	Statements []Statement
}

// Statement is one statement of a policy. Exactly one of Actions and
// NotActions is set, and exactly one of Resources and NotResources.
type Statement struct {
	Sid          string
	Effect       Effect
	Actions      []string
	NotActions   []string
	Resources    []string
	NotResources []string
}

// PolicyError is why ParsePolicy refused a document: the element of the
// statement it cannot evaluate as IAM would, or that IAM itself rejects.
// Statement is the statement's index (-1 for the document itself).
type PolicyError struct {
	Policy    string
	Statement int
	Sid       string
	Element   string
	Reason    string
}

func (e *PolicyError) Error() string {
	where := fmt.Sprintf("policy %q", e.Policy)
	if e.Statement >= 0 {
		where += fmt.Sprintf(" Statement[%d]", e.Statement)
		if e.Sid != "" {
			where += fmt.Sprintf(" (Sid %q)", e.Sid)
		}
	}
	return fmt.Sprintf("%s: %s: %s", where, e.Element, e.Reason)
}

// version2012 is the current policy language; version2008 the one IAM
// assumes when a document has no Version.
const (
	version2012 = "2012-10-17"
	version2008 = "2008-10-17"
)

// ParsePolicy reads a policy document as CloudFormation holds it once its
// intrinsics are resolved (decoded JSON): Statement an object or an array of
// them, Action, NotAction, Resource and NotResource a string or an array of
// strings.
//
// It refuses, with a *PolicyError naming the statement and the element,
// what it cannot evaluate faithfully and what IAM rejects: Condition;
// Principal and NotPrincipal (they belong to resource-based policies); an
// Effect other than Allow or Deny; a statement without exactly one of
// Action/NotAction and one of Resource/NotResource; an empty list; a value
// that is not a string (an unresolved intrinsic); an action that is neither
// "*" nor "service:name"; a resource that is neither "*" nor an ARN (one
// with fewer than six segments must end in *); a policy variable ("${...}")
// in a 2012-10-17 document; an unknown element; and a Version other than
// 2012-10-17 or 2008-10-17.
//
// A document without Version is a 2008-10-17 one, as IAM reads it: there,
// "${aws:username}" is no variable but literal text, and matches as such.
func ParsePolicy(name string, doc any) (Policy, error) {
	top := &PolicyError{Policy: name, Statement: -1}
	m, ok := doc.(map[string]any)
	if !ok {
		return Policy{}, top.with("document", "not a JSON object")
	}
	if err := onlyKeys(m, top, "Version", "Id", "Statement"); err != nil {
		return Policy{}, err
	}
	version := version2008
	if v, ok := m["Version"]; ok {
		s, isString := v.(string)
		if !isString || (s != version2012 && s != version2008) {
			return Policy{}, top.with("Version", fmt.Sprintf("%v is not a policy language IAM knows (2012-10-17, 2008-10-17)", v))
		}
		version = s
	}
	var raw []any
	switch st := m["Statement"].(type) {
	case map[string]any:
		raw = []any{st}
	case []any:
		raw = st
	case nil:
		return Policy{}, top.with("Statement", "missing")
	default:
		return Policy{}, top.with("Statement", "neither an object nor an array")
	}
	p := Policy{Name: name}
	for i, r := range raw {
		s, err := parseStatement(&PolicyError{Policy: name, Statement: i}, r, version)
		if err != nil {
			return Policy{}, err
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

func (e *PolicyError) with(element, reason string) *PolicyError {
	out := *e
	out.Element, out.Reason = element, reason
	return &out
}

func onlyKeys(m map[string]any, where *PolicyError, known ...string) error {
	var unknown []string
	for k := range m {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return where.with(unknown[0], "not an element of "+strings.Join(known, ", "))
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func parseStatement(where *PolicyError, raw any, version string) (Statement, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return Statement{}, where.with("Statement", "not a JSON object")
	}
	if sid, ok := m["Sid"].(string); ok {
		where.Sid = sid
	}
	for _, refused := range []struct{ key, why string }{
		{"Condition", "conditions are not evaluated by the local cloud"},
		{"Principal", "belongs to resource-based policies, not to a role's identity-based policy"},
		{"NotPrincipal", "belongs to resource-based policies, not to a role's identity-based policy"},
	} {
		if _, ok := m[refused.key]; ok {
			return Statement{}, where.with(refused.key, refused.why)
		}
	}
	if err := onlyKeys(m, where, "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"); err != nil {
		return Statement{}, err
	}
	if v, ok := m["Sid"]; ok {
		if _, isString := v.(string); !isString {
			return Statement{}, where.with("Sid", "not a string")
		}
	}
	effect, ok := m["Effect"]
	if !ok {
		return Statement{}, where.with("Effect", "missing")
	}
	s := Statement{Sid: where.Sid, Effect: Effect(fmt.Sprint(effect))}
	if s.Effect != Allow && s.Effect != Deny {
		return Statement{}, where.with("Effect", fmt.Sprintf("%v is neither Allow nor Deny", effect))
	}
	var err error
	if s.Actions, s.NotActions, err = pair(where, m, "Action", "NotAction", checkAction(version)); err != nil {
		return Statement{}, err
	}
	if s.Resources, s.NotResources, err = pair(where, m, "Resource", "NotResource", checkResource(version)); err != nil {
		return Statement{}, err
	}
	return s, nil
}

// pair reads the one of key and notKey a statement must hold.
func pair(where *PolicyError, m map[string]any, key, notKey string, check func(string) string) (in, notIn []string, err error) {
	v, has := m[key]
	nv, hasNot := m[notKey]
	switch {
	case has && hasNot:
		return nil, nil, where.with(notKey, "a statement holds "+key+" or "+notKey+", not both")
	case !has && !hasNot:
		return nil, nil, where.with(key, "a statement must hold "+key+" or "+notKey)
	case has:
		in, err = strings1(where, key, v, check)
	default:
		notIn, err = strings1(where, notKey, nv, check)
	}
	return in, notIn, err
}

// strings1 reads a string or a non-empty array of strings, each one passing check.
func strings1(where *PolicyError, element string, v any, check func(string) string) ([]string, error) {
	var out []string
	switch v := v.(type) {
	case string:
		out = []string{v}
	case []any:
		if len(v) == 0 {
			return nil, where.with(element, "an empty list")
		}
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, where.with(element, fmt.Sprintf("%v is not a string (an unresolved intrinsic?)", e))
			}
			out = append(out, s)
		}
	default:
		return nil, where.with(element, fmt.Sprintf("%v is neither a string nor an array of strings (an unresolved intrinsic?)", v))
	}
	for _, s := range out {
		if why := check(s); why != "" {
			return nil, where.with(element, fmt.Sprintf("%q %s", s, why))
		}
	}
	return out, nil
}

func checkAction(version string) func(string) string {
	return func(a string) string {
		if a == "*" {
			return ""
		}
		service, name, ok := strings.Cut(a, ":")
		if !ok || service == "" || name == "" {
			return `is neither "*" nor "service:action"`
		}
		return variables(version, a)
	}
}

func checkResource(version string) func(string) string {
	return func(r string) string {
		if r == "*" {
			return ""
		}
		if !strings.HasPrefix(r, "arn:") {
			return `is neither "*" nor an ARN (arn:partition:service:region:account:resource)`
		}
		// A shorter ARN ending in * ("arn:aws:dynamodb:*") covers the
		// segments it leaves out, as its last * crosses colons; without
		// the * IAM's reading of it is not documented.
		if strings.Count(r, ":") < 5 && !strings.HasSuffix(r, "*") {
			return "has fewer than six segments and does not end in *"
		}
		return variables(version, r)
	}
}

// variables refuses policy variables where IAM would substitute them: in a
// 2012-10-17 document. In a 2008-10-17 one they are literal text.
func variables(version, s string) string {
	if version == version2012 && strings.Contains(s, "${") {
		return "holds a policy variable, which the local cloud does not substitute"
	}
	return ""
}
