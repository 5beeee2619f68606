package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// Env is what a stack is created with.
type Env struct {
	StackName, Region, Account string
	// Parameters are the values given at creation; the others take their
	// Default.
	Parameters map[string]string
	// Imports answers Fn::ImportValue from the exports of stacks made before.
	Imports func(name string) (string, bool)
	// Create, when set, makes each resource once its properties are
	// resolved, before any resource that refers to it is resolved. It may
	// set the physical id and attributes where the real thing has others
	// than AWS's form (a local queue's URL).
	Create func(*Resource) error
}

// Resource is a resource as created: its properties resolved, its physical
// id (what Ref answers) and its attributes (what Fn::GetAtt answers).
type Resource struct {
	ID, Type   string
	Properties map[string]any
	Ref        string
	Attrs      map[string]string
}

// Stack is a resolved stack.
type Stack struct {
	Name string
	// Resources in creation order: each after those it refers to.
	Resources []*Resource
	// Skipped are the resources whose Condition is false.
	Skipped []string
	Outputs map[string]string
	Exports map[string]string
	// ExportNames are the export name of each output that has one.
	ExportNames map[string]string
	// Imports are the export names the stack's Fn::ImportValue read.
	Imports []string
}

// Resource returns the resource of a logical id, if it was created.
func (s *Stack) Resource(id string) (*Resource, bool) {
	for _, r := range s.Resources {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}

// Resolve resolves t as CloudFormation creates it with env. Every problem is
// an error naming where it is.
func Resolve(t *Template, env Env) (*Stack, error) {
	r := &resolver{t: t, env: env, done: map[string]*Resource{}, conds: map[string]any{}}
	if err := r.parameters(); err != nil {
		return nil, err
	}
	if err := r.conditions(); err != nil {
		return nil, err
	}
	ids, err := t.order()
	if err != nil {
		return nil, err
	}
	s := &Stack{Name: env.StackName, Outputs: map[string]string{}, Exports: map[string]string{}, ExportNames: map[string]string{}}
	for _, id := range ids {
		raw := t.Resources[id]
		if raw.Condition != "" {
			holds, err := r.condition(raw.Condition, "Resources."+id+".Condition")
			if err != nil {
				return nil, err
			}
			if !holds {
				s.Skipped = append(s.Skipped, id)
				continue
			}
		}
		props, err := r.value(raw.Properties, "Resources."+id+".Properties")
		if err != nil {
			return nil, err
		}
		res := &Resource{ID: id, Type: raw.Type, Attrs: map[string]string{}}
		res.Properties, _ = props.(map[string]any)
		if err := physical(res, env); err != nil {
			return nil, fmt.Errorf("resource %s: %w", id, err)
		}
		if env.Create != nil {
			if err := env.Create(res); err != nil {
				return nil, fmt.Errorf("resource %s (%s): %w", id, res.Type, err)
			}
		}
		r.done[id] = res
		s.Resources = append(s.Resources, res)
	}
	if err := r.outputs(s); err != nil {
		return nil, err
	}
	s.Imports = sortedSet(r.imports)
	return s, nil
}

// resolver evaluates intrinsics; an intrinsic that fails records its error
// in errs (goformation's handlers cannot return one).
type resolver struct {
	t       *Template
	env     Env
	params  map[string]any
	conds   map[string]any // evaluated: bool each
	done    map[string]*Resource
	at      string
	errs    []error
	imports map[string]bool
}

func (r *resolver) parameters() error {
	r.params = map[string]any{}
	var errs []error
	for name, p := range r.t.Parameters {
		v, given := r.env.Parameters[name]
		var val any = v
		if !given {
			if p.Default == nil {
				errs = append(errs, fmt.Errorf("parameter %s: no value given and no Default", name))
				continue
			}
			val = p.Default
		}
		if len(p.AllowedValues) > 0 && !allowed(fmt.Sprint(val), p.AllowedValues) {
			errs = append(errs, fmt.Errorf("parameter %s: %v is not one of its AllowedValues %v", name, val, p.AllowedValues))
		}
		if strings.HasPrefix(p.Type, "List<") || p.Type == "CommaDelimitedList" {
			var list []any
			for _, part := range strings.Split(fmt.Sprint(val), ",") {
				list = append(list, strings.TrimSpace(part))
			}
			val = list
		} else {
			val = fmt.Sprint(val) // a Ref to any other parameter is a string
		}
		r.params[name] = val
	}
	for name := range r.env.Parameters {
		if _, ok := r.t.Parameters[name]; !ok {
			errs = append(errs, fmt.Errorf("parameter %s: given, but the template does not declare it", name))
		}
	}
	return joinSorted(errs)
}

func allowed(v string, values []any) bool {
	for _, a := range values {
		if fmt.Sprint(a) == v {
			return true
		}
	}
	return false
}

// conditions evaluates every condition; one may use another.
func (r *resolver) conditions() error {
	names := make([]string, 0, len(r.t.Conditions))
	for n := range r.t.Conditions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := r.condition(n, "Conditions."+n); err != nil {
			return err
		}
	}
	return nil
}

func (r *resolver) condition(name, at string) (bool, error) {
	if v, ok := r.conds[name].(bool); ok {
		return v, nil
	}
	expr, ok := r.t.Conditions[name]
	if !ok {
		return false, fmt.Errorf("%s: no condition %s", at, name)
	}
	if r.conds[name] == "evaluating" {
		return false, fmt.Errorf("%s: condition %s refers to itself", at, name)
	}
	r.conds[name] = "evaluating"
	v, err := r.value(r.inlineConditions(expr), "Conditions."+name)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s: evaluates to %v, not true or false", name, v)
	}
	r.conds[name] = b
	return b, nil
}

// inlineConditions replaces each {"Condition": name} in a condition's
// expression with that condition's value.
func (r *resolver) inlineConditions(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if name, ok := v["Condition"].(string); ok && len(v) == 1 {
			b, err := r.condition(name, "Conditions")
			if err != nil {
				r.errs = append(r.errs, err)
			}
			return b
		}
		out := make(map[string]any, len(v))
		for k, c := range v {
			out[k] = r.inlineConditions(c)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			out[i] = r.inlineConditions(c)
		}
		return out
	}
	return v
}

func (r *resolver) outputs(s *Stack) error {
	names := make([]string, 0, len(r.t.Outputs))
	for n := range r.t.Outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		o := r.t.Outputs[n]
		if o.Condition != "" {
			holds, err := r.condition(o.Condition, "Outputs."+n+".Condition")
			if err != nil {
				return err
			}
			if !holds {
				continue
			}
		}
		v, err := r.str(o.Value, "Outputs."+n+".Value")
		if err != nil {
			return err
		}
		s.Outputs[n] = v
		if o.Export != nil {
			name, err := r.str(o.Export.Name, "Outputs."+n+".Export.Name")
			if err != nil {
				return err
			}
			s.Exports[name], s.ExportNames[n] = v, name
		}
	}
	return nil
}

func (r *resolver) str(v any, at string) (string, error) {
	x, err := r.value(v, at)
	if err != nil {
		return "", err
	}
	switch x := x.(type) {
	case string:
		return x, nil
	case float64, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("%s: %v is not a string", at, x)
}

// value evaluates the intrinsics in v, found at at.
func (r *resolver) value(v any, at string) (any, error) {
	if v == nil {
		return nil, nil
	}
	r.at, r.errs = at, nil
	doc, err := json.Marshal(map[string]any{"Conditions": r.conds, "Mappings": r.t.Mappings, "Value": v})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	out, err := intrinsics.ProcessJSON(doc, &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: r.handlers()})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	if len(r.errs) > 0 {
		return nil, joinSorted(r.errs)
	}
	var res struct{ Value any }
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", at, err)
	}
	return dropNoValue(res.Value), nil
}

// dropNoValue removes what Ref AWS::NoValue left: a property or a list
// element whose value is nothing is not there.
func dropNoValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if c == nil {
				delete(v, k)
			} else {
				v[k] = dropNoValue(c)
			}
		}
	case []any:
		out := v[:0]
		for _, c := range v {
			if c != nil {
				out = append(out, dropNoValue(c))
			}
		}
		return out
	}
	return v
}

func (r *resolver) fail(format string, a ...any) any {
	r.errs = append(r.errs, fmt.Errorf("%s: "+format, append([]any{r.at}, a...)...))
	return nil
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func joinSorted(errs []error) error {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// subVariables lists the variables of an Fn::Sub that are not given in its
// own map: the references it makes.
func subVariables(arg any) []string {
	s, given, _ := subArgs(arg)
	var out []string
	for _, m := range subVar.FindAllStringSubmatch(s, -1) {
		if _, ok := given[m[1]]; !ok && !strings.HasPrefix(m[1], "!") {
			out = append(out, m[1])
		}
	}
	return out
}

// subArgs reads Fn::Sub's "string" or ["string", {variables}].
func subArgs(arg any) (s string, given map[string]any, ok bool) {
	switch a := arg.(type) {
	case string:
		return a, nil, true
	case []any:
		if len(a) == 2 {
			s, ok = a[0].(string)
			given, _ = a[1].(map[string]any)
			return s, given, ok
		}
	}
	return "", nil, false
}

// getAttArgs reads Fn::GetAtt's ["Id", "Attr"] or "Id.Attr".
func getAttArgs(arg any) (id, attr string, ok bool) {
	switch a := arg.(type) {
	case string:
		id, attr, ok = strings.Cut(a, ".")
	case []any:
		if len(a) == 2 {
			id, _ = a[0].(string)
			attr, _ = a[1].(string)
			ok = id != "" && attr != ""
		}
	}
	return id, attr, ok
}
