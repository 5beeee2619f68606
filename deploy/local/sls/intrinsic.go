package sls

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Env is what CloudFormation intrinsics resolve against locally.
type Env struct {
	Region    string
	AccountID string
	// Exports are the Outputs' Export names and values.
	Exports map[string]string
	// Ref and Attr resolve a logical id (Ref) and its attributes (GetAtt).
	Ref  func(logicalID string) (string, bool)
	Attr func(logicalID, attribute string) (string, bool)
	// Conditions are the stack's evaluated conditions, for Fn::If.
	Conditions map[string]bool
}

// NoValue is what Ref AWS::NoValue resolves to: the property is dropped.
var NoValue = noValue{}

type noValue struct{}

// Resolve evaluates the intrinsic functions in v. An intrinsic the local
// cloud does not implement is an error naming where it is.
func (e Env) Resolve(v any, at string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return e.intrinsic(k, arg, at)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, c := range v {
			r, err := e.Resolve(c, at+"."+k)
			if err != nil {
				return nil, err
			}
			if r != NoValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			r, err := e.Resolve(c, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// String resolves v and requires a string.
func (e Env) String(v any, at string) (string, error) {
	r, err := e.Resolve(v, at)
	if err != nil {
		return "", err
	}
	switch r := r.(type) {
	case string:
		return r, nil
	case int, float64, bool:
		return fmt.Sprint(r), nil
	}
	return "", fmt.Errorf("%s: want a string, got %v", at, r)
}

func (e Env) pseudo(name string) (string, bool) {
	switch name {
	case "AWS::Region":
		return e.Region, true
	case "AWS::AccountId":
		return e.AccountID, true
	case "AWS::Partition":
		return "aws", true
	case "AWS::URLSuffix":
		return "amazonaws.com", true
	}
	return "", false
}

func (e Env) intrinsic(fn string, arg any, at string) (any, error) {
	at = at + "." + fn
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		if name == "AWS::NoValue" {
			return NoValue, nil
		}
		if v, ok := e.pseudo(name); ok {
			return v, nil
		}
		if e.Ref != nil {
			if v, ok := e.Ref(name); ok {
				return v, nil
			}
		}
		return nil, fmt.Errorf("%s: no resource %q to Ref", at, name)
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, fmt.Errorf("%s: want [condition, then, else]", at)
		}
		cond, _ := a[0].(string)
		val, known := e.Conditions[cond]
		if !known {
			return nil, fmt.Errorf("%s: no condition %q", at, cond)
		}
		if val {
			return e.Resolve(a[1], at)
		}
		return e.Resolve(a[2], at)
	case "Fn::Equals":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: want [a, b]", at)
		}
		x, err := e.Resolve(a[0], at)
		if err != nil {
			return nil, err
		}
		y, err := e.Resolve(a[1], at)
		if err != nil {
			return nil, err
		}
		return fmt.Sprint(x) == fmt.Sprint(y), nil
	case "Fn::ImportValue":
		name, err := e.String(arg, at)
		if err != nil {
			return nil, err
		}
		v, ok := e.Exports[name]
		if !ok {
			known := make([]string, 0, len(e.Exports))
			for k := range e.Exports {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("%s: no export named %q (exports: %s)", at, name, strings.Join(known, ", "))
		}
		return v, nil
	case "Fn::GetAtt":
		var id, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) == 2 {
				id, _ = a[0].(string)
				attr, _ = a[1].(string)
			}
		case string:
			id, attr, _ = strings.Cut(a, ".")
		}
		if e.Attr != nil {
			if v, ok := e.Attr(id, attr); ok {
				return v, nil
			}
		}
		return nil, fmt.Errorf("%s: no attribute %s of %q", at, attr, id)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, fmt.Errorf("%s: want [separator, [values]]", at)
		}
		sep, _ := a[0].(string)
		vals, err := e.Resolve(a[1], at)
		if err != nil {
			return nil, err
		}
		list, ok := vals.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: want a list of values", at)
		}
		parts := make([]string, len(list))
		for i, p := range list {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Sub":
		tmpl, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			tmpl = a
		case []any:
			if len(a) == 2 {
				tmpl, _ = a[0].(string)
				m, _ := a[1].(map[string]any)
				for k, v := range m {
					r, err := e.Resolve(v, at)
					if err != nil {
						return nil, err
					}
					vars[k] = r
				}
			}
		}
		var err error
		out := subRE.ReplaceAllStringFunc(tmpl, func(m string) string {
			name := m[2 : len(m)-1]
			if v, ok := vars[name]; ok {
				return fmt.Sprint(v)
			}
			if v, ok := e.pseudo(name); ok {
				return v
			}
			if id, attr, ok := strings.Cut(name, "."); ok && e.Attr != nil {
				if v, ok := e.Attr(id, attr); ok {
					return v
				}
			}
			if e.Ref != nil {
				if v, ok := e.Ref(name); ok {
					return v
				}
			}
			err = fmt.Errorf("%s: cannot substitute ${%s}", at, name)
			return m
		})
		return out, err
	}
	return nil, fmt.Errorf("%s: the local cloud does not implement %s", at, fn)
}

var subRE = regexp.MustCompile(`\$\{[A-Za-z0-9:._]+\}`)
