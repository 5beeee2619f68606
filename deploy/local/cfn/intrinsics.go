package cfn

import (
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// handlers are the intrinsic functions: goformation's generic ones, made to
// fail loudly where they would answer nothing, and this package's for what
// needs the stack.
func (r *resolver) handlers() map[string]intrinsics.IntrinsicHandler {
	h := map[string]intrinsics.IntrinsicHandler{
		"Ref":             r.ref,
		"Fn::GetAtt":      r.getAtt,
		"Fn::Sub":         r.sub,
		"Fn::ImportValue": r.importValue,
		"Fn::If":          r.fnIf,
		"Fn::GetAZs":      r.notEmulated,
		"Fn::Cidr":        r.notEmulated,
		"Fn::Transform":   r.notEmulated,
	}
	for name, fn := range map[string]intrinsics.IntrinsicHandler{
		"Fn::Join": intrinsics.FnJoin, "Fn::Select": intrinsics.FnSelect, "Fn::Split": split,
		"Fn::Equals": equals, "Fn::And": intrinsics.FnAnd, "Fn::Or": intrinsics.FnOr,
		"Fn::Not": intrinsics.FnNot, "Fn::FindInMap": intrinsics.FnFindInMap, "Fn::Base64": intrinsics.FnBase64,
	} {
		h[name] = r.loud(fn)
	}
	return h
}

// loud wraps a goformation handler, which answers nil for arguments it
// cannot use (an index out of range, a missing mapping key).
func (r *resolver) loud(fn intrinsics.IntrinsicHandler) intrinsics.IntrinsicHandler {
	return func(name string, in, tpl any) any {
		if out := fn(name, in, tpl); out != nil {
			return out
		}
		return r.fail("%s %s has no value", name, brief(in))
	}
}

// split is goformation's Fn::Split, answering a list its other functions
// read ([]any, not []string) and nothing for arguments of the wrong shape.
func split(name string, in, tpl any) any {
	if a, ok := in.([]any); !ok || len(a) != 2 {
		return nil
	}
	parts, ok := intrinsics.FnSplit(name, in, tpl).([]string)
	if !ok || len(parts) == 0 {
		return nil
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

// equals is goformation's Fn::Equals on the values' string forms:
// CloudFormation compares a parameter's value (always a string, "0") with a
// literal that JSON may hold as a number (0) as equal.
func equals(name string, in, tpl any) any {
	a, ok := in.([]any)
	if !ok || len(a) != 2 {
		return nil
	}
	return intrinsics.FnEquals(name, []any{scalar(a[0]), scalar(a[1])}, tpl)
}

func scalar(v any) any {
	switch v := v.(type) {
	case float64, bool:
		return fmt.Sprint(v)
	}
	return v
}

func (r *resolver) notEmulated(name string, in, _ any) any {
	return r.fail("%s %s is not emulated by the local cloud", name, brief(in))
}

func (r *resolver) ref(_ string, in, _ any) any {
	name, ok := in.(string)
	if !ok {
		return r.fail("Ref %s: want a name", brief(in))
	}
	switch name {
	case "AWS::Region":
		return r.env.Region
	case "AWS::AccountId":
		return r.env.Account
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return r.env.StackName
	case "AWS::StackId":
		return "arn:aws:cloudformation:" + r.env.Region + ":" + r.env.Account + ":stack/" + r.env.StackName + "/" + uuid(r.env.StackName)
	case "AWS::NoValue":
		return nil
	case "AWS::NotificationARNs":
		return []any{}
	}
	if v, ok := r.params[name]; ok {
		return v
	}
	if res, ok := r.done[name]; ok {
		return res.Ref
	}
	if _, ok := r.t.Resources[name]; ok {
		return r.fail("Ref %s: its Condition is false, so it was not created", name)
	}
	return r.fail("Ref %s: no such parameter, pseudo parameter or resource", name)
}

func (r *resolver) getAtt(_ string, in, _ any) any {
	id, attr, ok := getAttArgs(in)
	if !ok {
		return r.fail("Fn::GetAtt %s: want [resource, attribute]", brief(in))
	}
	res, ok := r.done[id]
	if !ok {
		return r.fail("Fn::GetAtt %s.%s: no resource %s was created", id, attr, id)
	}
	v, ok := res.Attrs[attr]
	if !ok {
		return r.fail("Fn::GetAtt %s.%s: %s has no attribute %s here (it has %s)", id, attr, res.Type, attr, attrNames(res))
	}
	return v
}

func (r *resolver) sub(_ string, in, tpl any) any {
	s, given, ok := subArgs(in)
	if !ok {
		return r.fail("Fn::Sub %s: want a string or [string, variables]", brief(in))
	}
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if lit, ok := strings.CutPrefix(name, "!"); ok {
			return "${" + lit + "}"
		}
		var v any
		if g, ok := given[name]; ok {
			v = g
		} else if id, attr, ok := strings.Cut(name, "."); ok {
			v = r.getAtt("Fn::GetAtt", []any{id, attr}, tpl)
		} else {
			v = r.ref("Ref", name, tpl)
		}
		switch v := v.(type) {
		case string:
			return v
		case float64, bool:
			return fmt.Sprint(v)
		case nil:
			return "" // the failure is recorded
		}
		r.fail("Fn::Sub %s: ${%s} is %v, not a string", brief(s), name, v)
		return ""
	})
}

func (r *resolver) importValue(_ string, in, _ any) any {
	name, ok := in.(string)
	if !ok {
		return r.fail("Fn::ImportValue %s: want an export name", brief(in))
	}
	if r.imports == nil {
		r.imports = map[string]bool{}
	}
	r.imports[name] = true
	if r.env.Imports != nil {
		if v, ok := r.env.Imports(name); ok {
			return v
		}
	}
	return r.fail("Fn::ImportValue %s: no stack created before exports it", name)
}

func (r *resolver) fnIf(_ string, in, _ any) any {
	a, ok := in.([]any)
	if !ok || len(a) != 3 {
		return r.fail("Fn::If %s: want [condition, value if true, value if false]", brief(in))
	}
	name, _ := a[0].(string)
	v, ok := r.conds[name].(bool)
	if !ok {
		return r.fail("Fn::If: no condition %v", a[0])
	}
	if v {
		return a[1]
	}
	return a[2]
}

func attrNames(res *Resource) string {
	var names []string
	for k := range res.Attrs {
		names = append(names, k)
	}
	if len(names) == 0 {
		return "none"
	}
	sortStrings(names)
	return strings.Join(names, ", ")
}

// brief is an argument as it appears in an error message.
func brief(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
