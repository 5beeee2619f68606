package iam

import "unicode"

// Decision is how IAM answers one action on one resource.
type Decision struct {
	Allowed      bool
	ExplicitDeny bool // a Deny statement matched
	// Policy, Statement (its index) and Sid name the statement that decided,
	// the first matching Deny or else the first matching Allow, for the
	// permission report. They are empty (Statement -1) on an implicit deny.
	Policy    string
	Statement int
	Sid       string
}

// Evaluate decides one action ("service:Operation") on one resource (an
// ARN, or "*" for an action that names none) over a role's identity-based
// policies, as IAM does when no permissions boundary, SCP, session policy or
// resource-based policy applies: a matching Deny statement wins, then a
// matching Allow statement allows, and anything else is implicitly denied.
//
// A statement matches when its Action (or, for NotAction, none of its
// NotAction) matches the action and its Resource (or, for NotResource, none
// of its NotResource) matches the resource. Actions match case-insensitively
// and resources case-sensitively, both with the wildcards * and ?.
//
// An empty action or resource is never allowed: it is a request the caller
// could not identify, and a NotResource statement must not grant it.
func Evaluate(policies []Policy, action, resource string) Decision {
	if action == "" || resource == "" {
		return Decision{Statement: -1}
	}
	allow := Decision{Statement: -1}
	for _, p := range policies {
		for i, s := range p.Statements {
			if !s.matches(action, resource) {
				continue
			}
			if s.Effect == Deny {
				return Decision{ExplicitDeny: true, Policy: p.Name, Statement: i, Sid: s.Sid}
			}
			if !allow.Allowed {
				allow = Decision{Allowed: true, Policy: p.Name, Statement: i, Sid: s.Sid}
			}
		}
	}
	return allow
}

func (s Statement) matches(action, resource string) bool {
	actionMatches := anyMatch(s.Actions, action, matchAction)
	if s.NotActions != nil {
		actionMatches = !anyMatch(s.NotActions, action, matchAction)
	}
	if !actionMatches {
		return false
	}
	if s.NotResources != nil {
		return !anyMatch(s.NotResources, resource, matchResource)
	}
	return anyMatch(s.Resources, resource, matchResource)
}

func anyMatch(patterns []string, s string, match func(pattern, s string) bool) bool {
	for _, p := range patterns {
		if match(p, s) {
			return true
		}
	}
	return false
}

// matchAction matches an action pattern: case-insensitively, * any run of
// characters and ? any one (IAM JSON policy elements: Action).
func matchAction(pattern, action string) bool {
	return glob(pattern, action, true, false)
}

// matchResource matches a resource pattern case-sensitively. * and ? stand
// within a segment of the ARN (the parts between colons), and * crosses a /
// there; a * that is the last character of its segment may also expand
// across colons. That is IAM's documented rule ("IAM JSON policy elements:
// Resource", Using wildcards in resource ARNs,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html):
// "arn:aws:dynamodb:*:*:table/movies-*" covers every region and account, and
// "arn:aws:s3:::bucket/*" every key below the bucket, slashes included.
func matchResource(pattern, resource string) bool {
	return glob(pattern, resource, false, true)
}

// glob reports whether s matches pattern, where * is any run of characters
// and ? any one. With segments, neither crosses a ':' except a * that ends
// its segment (followed by ':' or the end of the pattern).
func glob(pattern, s string, fold, segments bool) bool {
	p, t := []rune(pattern), []rune(s)
	// m[j]: the pattern read so far matches t[:j].
	m := make([]bool, len(t)+1)
	next := make([]bool, len(t)+1)
	m[0] = true
	for i, c := range p {
		switch c {
		case '*':
			crosses := !segments || i == len(p)-1 || p[i+1] == ':'
			next[0] = m[0]
			for j := 1; j <= len(t); j++ {
				next[j] = m[j] || (next[j-1] && (crosses || t[j-1] != ':'))
			}
		case '?':
			next[0] = false
			for j := 1; j <= len(t); j++ {
				next[j] = m[j-1] && (!segments || t[j-1] != ':')
			}
		default:
			next[0] = false
			for j := 1; j <= len(t); j++ {
				next[j] = m[j-1] && same(c, t[j-1], fold)
			}
		}
		m, next = next, m
	}
	return m[len(t)]
}

func same(a, b rune, fold bool) bool {
	if fold {
		return unicode.ToLower(a) == unicode.ToLower(b)
	}
	return a == b
}
