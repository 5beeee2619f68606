// Package cfnapi is the local cloud's CloudFormation API, over the query
// protocol the AWS SDKs speak to it (osls included): stacks created and
// updated from change sets or directly, deleted, described with their
// status, events, resources, outputs and template; exports listed; templates
// validated. The resources themselves are made by a Deployer, the local
// cloud, from the same packaged templates make up runs.
//
// CloudFormation's own checks are applied where a deploy can fail on AWS,
// with CloudFormation's messages: parameters the template does not declare
// or leaves without a value, resource types CloudFormation does not know, a
// missing IAM capability, an import of an export no stack has, an export
// still imported when its stack would remove it, and whatever the Deployer
// refuses for a resource (a failed resource rolls the stack back, as on
// AWS). Not emulated, and refused by name: YAML templates, stack policies,
// stack sets, nested stacks, drift detection.
package cfnapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// Deployer makes a stack's resources.
type Deployer interface {
	// Deploy makes the resources of d.Template what it declares: it creates
	// the new ones, updates the changed ones and deletes those no longer
	// declared (d.Previous is the stack as it stands, nil for a new stack),
	// reporting each step through d.Event. It returns the resolved stack, or
	// an error whose message is what CloudFormation says of the resource
	// that failed (a *ResourceError names it), having undone what it made.
	Deploy(ctx context.Context, d Deployment) (*cfn.Stack, error)
	// Delete removes the resources of s, reporting each through event.
	Delete(ctx context.Context, s *cfn.Stack, event func(r *cfn.Resource, status, reason string)) error
}

// Deployment is one creation or update of a stack.
type Deployment struct {
	StackName  string
	Template   *cfn.Template
	Parameters map[string]string
	Previous   *cfn.Stack
	Imports    func(name string) (string, bool)
	// Event reports a resource's progress: CREATE_IN_PROGRESS, …_COMPLETE,
	// …_FAILED with its reason.
	Event func(r *cfn.Resource, status, reason string)
}

// ResourceError is a resource that could not be made, as CloudFormation
// reports it in the resource's …_FAILED event.
type ResourceError struct {
	LogicalID, Type, Reason string
}

func (e *ResourceError) Error() string { return e.LogicalID + " (" + e.Type + "): " + e.Reason }

// Service serves the CloudFormation API.
type Service struct {
	Region, Account string
	Deployer        Deployer
	// Fetch reads a TemplateURL (the deployment bucket's object).
	Fetch func(templateURL string) ([]byte, error)
	Log   *slog.Logger
	// Now is the clock [time.Now].
	Now func() time.Time

	mu     sync.Mutex
	stacks []*stack // every stack ever made, deleted ones too (by id)
	// deploying serialises stack operations: one at a time, as a local
	// cloud's resources are shared.
	deploying sync.Mutex
}

// Namespace is the XML namespace of CloudFormation's answers.
const Namespace = xmlns

const xmlns = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// apiError is an error answered in the query protocol's shape.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validation(format string, a ...any) error {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, a...)}
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		s.fail(w, validation("could not read the request"))
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || r.Method != http.MethodPost {
		s.fail(w, validation("the local CloudFormation takes form-encoded POST requests (the query protocol)"))
		return
	}
	q := query(form)
	action := q.str("Action")
	h, ok := s.actions()[action]
	if !ok {
		s.fail(w, &apiError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("%s is not an action the local CloudFormation emulates", action)})
		return
	}
	result, err := h(r.Context(), q)
	if err != nil {
		s.log().Warn("cloudformation", "action", action, "error", err)
		s.fail(w, err)
		return
	}
	s.ok(w, action, result)
}

type handler func(ctx context.Context, q query) (any, error)

func (s *Service) actions() map[string]handler {
	return map[string]handler{
		"CreateStack": s.createStack, "UpdateStack": s.updateStack, "DeleteStack": s.deleteStack,
		"DescribeStacks": s.describeStacks, "DescribeStackEvents": s.describeStackEvents,
		"DescribeStackResource": s.describeStackResource, "DescribeStackResources": s.describeStackResources,
		"ListStackResources": s.listStackResources, "GetTemplate": s.getTemplate,
		"ValidateTemplate": s.validateTemplate, "ListExports": s.listExports, "ListImports": s.listImports,
		"CreateChangeSet": s.createChangeSet, "DescribeChangeSet": s.describeChangeSet,
		"ExecuteChangeSet": s.executeChangeSet, "DeleteChangeSet": s.deleteChangeSet,
		"ListStacks": s.listStacks,
	}
}

// ok writes <ActionResponse><ActionResult>result</ActionResult>
// <ResponseMetadata>…</ResponseMetadata></ActionResponse>.
func (s *Service) ok(w http.ResponseWriter, action string, result any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	err := enc.EncodeToken(root)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{requestID()}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(root.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		s.fail(w, &apiError{http.StatusInternalServerError, "InternalFailure", err.Error()})
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(buf.Bytes())
}

func (s *Service) fail(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{http.StatusInternalServerError, "InternalFailure", err.Error()}
	}
	doc := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{Xmlns: xmlns, RequestID: requestID()}
	doc.Error.Type, doc.Error.Code, doc.Error.Message = "Sender", ae.code, ae.message
	if ae.status >= 500 {
		doc.Error.Type = "Receiver"
	}
	b, _ := xml.Marshal(doc)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(ae.status)
	_, _ = w.Write(append([]byte(xml.Header), b...))
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// query reads the query protocol's form: scalars by name, lists as
// Name.member.N, structures in lists as Name.member.N.Field.
type query url.Values

func (q query) str(name string) string { return url.Values(q).Get(name) }

func (q query) bool(name string) bool { return q.str(name) == "true" }

// list returns Name.member.1, .2, … until one is missing.
func (q query) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := q[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// structs returns the fields of Name.member.N.Field for each N.
func (q query) structs(name string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		prefix := name + ".member." + strconv.Itoa(i) + "."
		m := map[string]string{}
		for k, v := range q {
			if f, ok := strings.CutPrefix(k, prefix); ok {
				m[f] = v[0]
			}
		}
		if len(m) == 0 {
			return out
		}
		out = append(out, m)
	}
}

// parameters reads Parameters.member.N.{ParameterKey, ParameterValue,
// UsePreviousValue}; a previous value is taken from prev.
func (q query) parameters(prev map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range q.structs("Parameters") {
		key := p["ParameterKey"]
		if p["UsePreviousValue"] == "true" {
			v, ok := prev[key]
			if !ok {
				return nil, validation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", key)
			}
			out[key] = v
			continue
		}
		out[key] = p["ParameterValue"]
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
