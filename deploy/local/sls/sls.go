// Package sls reads the project's serverless.yml files as osls would for the
// parts they use: Serverless variables (${sls:stage}, ${opt:…}, ${param:…},
// ${env:…}, ${self:…}, with fallbacks) and CloudFormation intrinsics
// (Fn::ImportValue, Ref, Fn::GetAtt, Fn::Sub, Fn::Join, and their ! tags),
// resolved against the local cloud's resources.
package sls

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is one serverless.yml, variables resolved.
type File struct {
	Path string
	Dir  string
	Doc  map[string]any
}

// Options are what the command line would give osls.
type Options struct {
	Stage  string
	Region string
	// Params override params.<stage> and params.default (--param).
	Params map[string]any
	// Getenv reads ${env:…}; nil means os.Getenv.
	Getenv func(string) string
}

// Load reads and resolves the Serverless variables of a serverless.yml.
func Load(path string, o Options) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	raw, err := decode(&node)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	doc, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a YAML mapping", path)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	r := &resolver{doc: doc, o: o}
	out, err := r.value(doc, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	return &File{Path: abs, Dir: filepath.Dir(abs), Doc: out.(map[string]any)}, nil
}

// decode turns YAML into plain values, CloudFormation's short tags
// (!ImportValue x) into their long form ({"Fn::ImportValue": x}).
func decode(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return map[string]any{}, nil
		}
		return decode(n.Content[0])
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := decode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			val, err := decode(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.AliasNode:
		return decode(n.Alias)
	default:
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
	}
	switch n.Tag {
	case "!ImportValue", "!Ref", "!Sub", "!Join", "!Select", "!Split", "!If", "!Equals":
		name := "Fn::" + n.Tag[1:]
		if n.Tag == "!Ref" {
			name = "Ref"
		}
		return map[string]any{name: v}, nil
	case "!GetAtt":
		if s, ok := v.(string); ok {
			a, b, _ := strings.Cut(s, ".")
			v = []any{a, b}
		}
		return map[string]any{"Fn::GetAtt": v}, nil
	}
	return v, nil
}

type resolver struct {
	doc   map[string]any
	o     Options
	depth int
}

var varRE = regexp.MustCompile(`\$\{([^{}]+)\}`)

func (r *resolver) value(v any, at string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, c := range v {
			rc, err := r.value(c, at+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = rc
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, c := range v {
			rc, err := r.value(c, at+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out[i] = rc
		}
		return out, nil
	case string:
		return r.str(v, at)
	}
	return v, nil
}

// str resolves the variables of one string. A string that is one variable
// takes the variable's type.
func (r *resolver) str(s, at string) (any, error) {
	for i := 0; varRE.MatchString(s); i++ {
		if i > 20 {
			return nil, fmt.Errorf("%s: variables nest too deep in %q", at, s)
		}
		loc := varRE.FindStringSubmatchIndex(s)
		val, err := r.variable(s[loc[2]:loc[3]], at)
		if err != nil {
			return nil, err
		}
		if loc[0] == 0 && loc[1] == len(s) {
			if str, ok := val.(string); ok && varRE.MatchString(str) {
				s = str
				continue
			}
			return val, nil
		}
		s = s[:loc[0]] + fmt.Sprint(val) + s[loc[1]:]
	}
	return s, nil
}

// variable resolves "source:name, fallback".
func (r *resolver) variable(expr, at string) (any, error) {
	ref, fallback, hasFallback := strings.Cut(expr, ",")
	ref = strings.TrimSpace(ref)
	val, found, err := r.source(ref, at)
	if err != nil {
		return nil, err
	}
	if found {
		return val, nil
	}
	if hasFallback {
		fb := strings.TrimSpace(fallback)
		if len(fb) >= 2 && (fb[0] == '\'' || fb[0] == '"') && fb[len(fb)-1] == fb[0] {
			return fb[1 : len(fb)-1], nil
		}
		if n, err := strconv.Atoi(fb); err == nil {
			return n, nil
		}
		if strings.Contains(fb, ":") {
			return r.variable(fb, at)
		}
		return fb, nil
	}
	return nil, fmt.Errorf("%s: ${%s} has no value and no fallback", at, ref)
}

func (r *resolver) source(ref, at string) (any, bool, error) {
	src, name, ok := strings.Cut(ref, ":")
	if !ok {
		return nil, false, fmt.Errorf("%s: ${%s} is not a variable this local cloud knows", at, ref)
	}
	switch src {
	case "sls":
		if name == "stage" {
			return r.o.Stage, true, nil
		}
	case "opt":
		switch name {
		case "stage":
			return r.o.Stage, r.o.Stage != "", nil
		case "region":
			return r.o.Region, r.o.Region != "", nil
		}
		return nil, false, nil
	case "env":
		v := r.o.Getenv(name)
		return v, v != "", nil
	case "param":
		if v, ok := r.o.Params[name]; ok {
			return v, true, nil
		}
		params, _ := r.doc["params"].(map[string]any)
		for _, scope := range []string{r.o.Stage, "default"} {
			if m, ok := params[scope].(map[string]any); ok {
				if v, ok := m[name]; ok {
					return v, true, nil
				}
			}
		}
		return nil, false, nil
	case "self":
		var cur any = r.doc
		for _, p := range strings.Split(name, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false, nil
			}
			if cur, ok = m[p]; !ok {
				return nil, false, nil
			}
		}
		if r.depth > 10 {
			return nil, false, fmt.Errorf("%s: ${self:%s} refers to itself", at, name)
		}
		r.depth++
		defer func() { r.depth-- }()
		v, err := r.value(cur, "self:"+name)
		return v, err == nil, err
	}
	return nil, false, fmt.Errorf("%s: ${%s}: the local cloud does not resolve %q variables", at, ref, src)
}
