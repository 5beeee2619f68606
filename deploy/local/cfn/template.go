// Package cfn reads the CloudFormation templates that `osls package` writes
// and resolves them as CloudFormation would when it creates the stack: each
// resource in dependency order, its intrinsic functions evaluated against the
// parameters, the pseudo parameters, the conditions, the resources made
// before it and the exports of other stacks, and its physical id and
// attributes worked out as AWS forms them. Outputs and exports come last.
//
// The generic intrinsics (Fn::Join, Fn::Select, Fn::Split, Fn::If,
// Fn::Equals, Fn::And, Fn::Or, Fn::Not, Fn::FindInMap, Fn::Base64) are
// github.com/awslabs/goformation/v7's; Ref, Fn::GetAtt, Fn::Sub and
// Fn::ImportValue need the stack's resources and are this package's. An
// intrinsic that cannot be resolved (an unknown resource, attribute, export,
// condition, or an argument of the wrong shape) is an error naming where it
// is, never an empty value. Typed views of a resolved resource come from
// goformation's generated types (As).
package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// Template is a CloudFormation template as written, intrinsics unresolved.
type Template struct {
	Description string               `json:"Description"`
	Parameters  map[string]Parameter `json:"Parameters"`
	Conditions  map[string]any       `json:"Conditions"`
	Mappings    map[string]any       `json:"Mappings"`
	Resources   map[string]RawResource
	Outputs     map[string]RawOutput `json:"Outputs"`
}

// Parameter is a template parameter.
type Parameter struct {
	Type          string `json:"Type"`
	Default       any    `json:"Default"`
	AllowedValues []any  `json:"AllowedValues"`
	Description   string `json:"Description"`
	NoEcho        bool   `json:"NoEcho"`
}

// RawResource is a resource as written.
type RawResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
	DependsOn  any            `json:"DependsOn"`
	Condition  string         `json:"Condition"`
}

// RawOutput is an output as written.
type RawOutput struct {
	Value     any                 `json:"Value"`
	Export    *struct{ Name any } `json:"Export"`
	Condition string              `json:"Condition"`
}

// Load reads a template (JSON, as osls writes it).
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Parse reads a template from its JSON text.
func Parse(data []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, err
	}
	if len(t.Resources) == 0 {
		return nil, errors.New("no Resources")
	}
	return &t, nil
}

// order returns the resource ids so that each comes after those it refers
// to (Ref, Fn::GetAtt, Fn::Sub variables) or depends on (DependsOn), ties
// broken by id; a cycle or a reference to no resource is an error.
func (t *Template) order() ([]string, error) {
	deps := map[string][]string{}
	var errs []string
	for id, r := range t.Resources {
		for _, d := range t.refersTo(r) {
			if _, ok := t.Resources[d]; !ok {
				errs = append(errs, fmt.Sprintf("Resources.%s: refers to %s, which is no resource or parameter", id, d))
				continue
			}
			deps[id] = append(deps[id], d)
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var out []string
	state := map[string]int{} // 1: visiting, 2: done
	var visit func(id string, path []string) error
	visit = func(id string, path []string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("resources: circular dependency %s", strings.Join(append(path, id), " → "))
		case 2:
			return nil
		}
		state[id] = 1
		ds := slices.Clone(deps[id])
		sort.Strings(ds)
		for _, d := range ds {
			if err := visit(d, append(path, id)); err != nil {
				return err
			}
		}
		state[id] = 2
		out = append(out, id)
		return nil
	}
	for _, id := range ids {
		if err := visit(id, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// refersTo lists the logical ids r names (parameters and pseudo parameters
// left out).
func (t *Template) refersTo(r RawResource) []string {
	seen := map[string]bool{}
	add := func(id string) {
		if _, param := t.Parameters[id]; !param && !strings.HasPrefix(id, "AWS::") && id != "" {
			seen[id] = true
		}
	}
	switch d := r.DependsOn.(type) {
	case string:
		add(d)
	case []any:
		for _, x := range d {
			if s, ok := x.(string); ok {
				add(s)
			}
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if len(v) == 1 {
				for k, arg := range v {
					switch k {
					case "Ref":
						if s, ok := arg.(string); ok {
							add(s)
						}
					case "Fn::GetAtt":
						id, _, _ := getAttArgs(arg)
						add(id)
					case "Fn::Sub":
						for _, name := range subVariables(arg) {
							id, _, _ := strings.Cut(name, ".")
							add(id)
						}
					}
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
	walk(r.Properties)
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	return out
}
