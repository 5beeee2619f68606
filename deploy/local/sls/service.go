package sls

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Service is a service's functions as the local cloud runs them. Values that
// hold intrinsics (environment, stream ARNs) are resolved by the caller.
type Service struct {
	Name      string
	Dir       string
	Functions []Function
	// Resources are the stack's own CloudFormation resources.
	Resources  map[string]Resource
	Outputs    map[string]Output
	Parameters map[string]any // each parameter's value: stackParameters, else its Default
	Conditions map[string]any // unevaluated
	Custom     map[string]any
}

// Function is one function of a service.
type Function struct {
	Key         string // its key under functions:
	Name        string // the deployed name
	Handler     string
	Runtime     string
	Timeout     time.Duration
	MemoryMB    int
	Reserved    int // reservedConcurrency; 0 when unset
	Environment map[string]any
	HTTP        []HTTPEvent
	Streams     []StreamEvent
	// Async settings: maximumRetryAttempts (nil: AWS's 2).
	AsyncRetries *int
}

// HTTPEvent is an http (REST API) event.
type HTTPEvent struct {
	Path   string // "/movies/{id}"
	Method string // GET, POST, … or ANY
	IAM    bool   // authorizer: aws_iam
}

// StreamEvent is a Kinesis stream event.
type StreamEvent struct {
	ARN                        any // usually an intrinsic
	BatchSize                  int
	BatchWindow                time.Duration
	StartingPosition           string
	ReportBatchItemFailures    bool
	BisectBatchOnFunctionError bool
	MaximumRetryAttempts       int // -1: until the records expire
	MaximumRecordAge           time.Duration
	ParallelizationFactor      int
	OnFailure                  any // the destination's ARN, usually an intrinsic
	Enabled                    bool
}

// Resource is a CloudFormation resource.
type Resource struct {
	Type       string
	Properties map[string]any
}

// Output is a CloudFormation output.
type Output struct {
	Value  any
	Export any
}

// Service reads the service model of a resolved file.
func (f *File) Service() (*Service, error) {
	s := &Service{Dir: f.Dir, Resources: map[string]Resource{}, Outputs: map[string]Output{}}
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	s.Name, _ = f.Doc["service"].(string)
	if s.Name == "" {
		bad("service: a name is required")
	}
	s.Custom, _ = f.Doc["custom"].(map[string]any)
	provider, _ := f.Doc["provider"].(map[string]any)
	penv, _ := provider["environment"].(map[string]any)

	if res, ok := f.Doc["resources"].(map[string]any); ok {
		for key := range res {
			switch key {
			case "Resources", "Outputs", "Parameters", "Conditions", "Description":
			default:
				bad("resources.%s: not supported by the local cloud", key)
			}
		}
		rs, _ := res["Resources"].(map[string]any)
		for id, r := range rs {
			m, _ := r.(map[string]any)
			typ, _ := m["Type"].(string)
			props, _ := m["Properties"].(map[string]any)
			s.Resources[id] = Resource{Type: typ, Properties: props}
		}
		s.Parameters = map[string]any{}
		params, _ := res["Parameters"].(map[string]any)
		for name, p := range params {
			pm, _ := p.(map[string]any)
			s.Parameters[name] = pm["Default"]
		}
		if sp, ok := provider["stackParameters"].([]any); ok {
			for _, p := range sp {
				pm, _ := p.(map[string]any)
				if k, ok := pm["ParameterKey"].(string); ok {
					s.Parameters[k] = pm["ParameterValue"]
				}
			}
		}
		s.Conditions, _ = res["Conditions"].(map[string]any)
		outs, _ := res["Outputs"].(map[string]any)
		for id, o := range outs {
			m, _ := o.(map[string]any)
			var export any
			if e, ok := m["Export"].(map[string]any); ok {
				export = e["Name"]
			}
			s.Outputs[id] = Output{Value: m["Value"], Export: export}
		}
	}

	fns, _ := f.Doc["functions"].(map[string]any)
	keys := make([]string, 0, len(fns))
	for k := range fns {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		fm, _ := fns[key].(map[string]any)
		fn := Function{
			Key:         key,
			Name:        str(fm["name"], s.Name+"-"+str(provider["stage"], "dev")+"-"+key),
			Handler:     str(fm["handler"], ""),
			Runtime:     str(fm["runtime"], str(provider["runtime"], "")),
			Timeout:     time.Duration(num(fm["timeout"], num(provider["timeout"], 6))) * time.Second,
			MemoryMB:    num(fm["memorySize"], num(provider["memorySize"], 1024)),
			Reserved:    num(fm["reservedConcurrency"], 0),
			Environment: map[string]any{},
		}
		if v, ok := fm["maximumRetryAttempts"]; ok {
			n := num(v, 2)
			fn.AsyncRetries = &n
		}
		for k, v := range penv {
			fn.Environment[k] = v
		}
		if fe, ok := fm["environment"].(map[string]any); ok {
			for k, v := range fe {
				fn.Environment[k] = v
			}
		}
		events, _ := fm["events"].([]any)
		for i, ev := range events {
			em, _ := ev.(map[string]any)
			for kind, spec := range em {
				at := fmt.Sprintf("functions.%s.events[%d].%s", key, i, kind)
				switch kind {
				case "http":
					h, err := httpEvent(spec)
					if err != nil {
						bad("%s: %v", at, err)
					}
					fn.HTTP = append(fn.HTTP, h)
				case "stream":
					st, err := streamEvent(spec)
					if err != nil {
						bad("%s: %v", at, err)
					}
					fn.Streams = append(fn.Streams, st)
				default:
					bad("%s: the local cloud runs http and stream events only", at)
				}
			}
		}
		s.Functions = append(s.Functions, fn)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", f.Path, strings.Join(errs, "; "))
	}
	return s, nil
}

func httpEvent(spec any) (HTTPEvent, error) {
	var h HTTPEvent
	switch v := spec.(type) {
	case string: // "GET /movies"
		m, p, _ := strings.Cut(v, " ")
		h.Method, h.Path = m, p
	case map[string]any:
		h.Path, h.Method = str(v["path"], ""), str(v["method"], "")
		switch a := v["authorizer"].(type) {
		case string:
			if strings.EqualFold(a, "aws_iam") {
				h.IAM = true
			} else {
				return h, fmt.Errorf("authorizer %q: only aws_iam is emulated", a)
			}
		case map[string]any:
			if strings.EqualFold(str(a["type"], ""), "aws_iam") {
				h.IAM = true
			} else {
				return h, fmt.Errorf("authorizer %v: only aws_iam is emulated", a)
			}
		}
	}
	h.Method = strings.ToUpper(h.Method)
	if !strings.HasPrefix(h.Path, "/") {
		h.Path = "/" + h.Path
	}
	if h.Method == "" || h.Path == "/" && h.Method == "" {
		return h, fmt.Errorf("needs a path and a method")
	}
	return h, nil
}

func streamEvent(spec any) (StreamEvent, error) {
	st := StreamEvent{BatchSize: 100, StartingPosition: "LATEST", MaximumRetryAttempts: -1, ParallelizationFactor: 1, Enabled: true}
	m, ok := spec.(map[string]any)
	if !ok {
		return st, fmt.Errorf("want a mapping with type: kinesis and arn")
	}
	known := map[string]bool{"type": true, "arn": true, "batchSize": true, "batchWindow": true, "startingPosition": true,
		"functionResponseType": true, "bisectBatchOnFunctionError": true, "maximumRetryAttempts": true,
		"maximumRecordAgeInSeconds": true, "parallelizationFactor": true, "destinations": true, "enabled": true}
	for k := range m {
		if !known[k] {
			return st, fmt.Errorf("%s: not supported by the local cloud", k)
		}
	}
	if t := str(m["type"], "kinesis"); t != "kinesis" {
		return st, fmt.Errorf("type %s: only kinesis streams are emulated", t)
	}
	st.ARN = m["arn"]
	st.BatchSize = num(m["batchSize"], 100)
	st.BatchWindow = time.Duration(num(m["batchWindow"], 0)) * time.Second
	st.StartingPosition = strings.ToUpper(str(m["startingPosition"], "LATEST"))
	st.ReportBatchItemFailures = str(m["functionResponseType"], "") == "ReportBatchItemFailures"
	st.BisectBatchOnFunctionError, _ = m["bisectBatchOnFunctionError"].(bool)
	st.MaximumRetryAttempts = num(m["maximumRetryAttempts"], -1)
	st.MaximumRecordAge = time.Duration(num(m["maximumRecordAgeInSeconds"], -1)) * time.Second
	st.ParallelizationFactor = num(m["parallelizationFactor"], 1)
	if e, ok := m["enabled"].(bool); ok {
		st.Enabled = e
	}
	if d, ok := m["destinations"].(map[string]any); ok {
		if of, ok := d["onFailure"].(map[string]any); ok {
			st.OnFailure = of["arn"]
		} else if d["onFailure"] != nil {
			st.OnFailure = d["onFailure"]
		}
	}
	switch st.StartingPosition {
	case "TRIM_HORIZON", "LATEST":
	default:
		return st, fmt.Errorf("startingPosition %s: TRIM_HORIZON or LATEST", st.StartingPosition)
	}
	return st, nil
}

func str(v any, def string) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	if v != nil {
		if s := fmt.Sprint(v); s != "" && s != "<nil>" {
			if _, isMap := v.(map[string]any); !isMap {
				return s
			}
		}
	}
	return def
}

func num(v any, def int) int {
	switch n := v.(type) {
	case int:
		return n
	case float64:
		return int(n)
	case string:
		var i int
		if _, err := fmt.Sscan(n, &i); err == nil {
			return i
		}
	}
	return def
}
