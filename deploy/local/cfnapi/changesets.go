package cfnapi

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// changeSet is a proposed creation or update of a stack.
type changeSet struct {
	id, name, typ string // typ: CREATE or UPDATE
	status        string // CREATE_COMPLETE or FAILED
	exec          string // AVAILABLE, UNAVAILABLE, EXECUTE_COMPLETE, OBSOLETE
	reason        string
	body          []byte
	tpl           *cfn.Template
	params        map[string]string
	capabilities  []string
	tags          []tagXML
	changes       []changeXML
	created       time.Time
}

func changeSetMissing(name string) error {
	return &apiError{http.StatusNotFound, "ChangeSetNotFound", "ChangeSet [" + name + "] does not exist"}
}

func (s *Service) changeSet(st *stack, nameOrID string) *changeSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cs := range st.changeSets {
		if cs.name == nameOrID || cs.id == nameOrID {
			return cs
		}
	}
	return nil
}

// noChanges is the reason CloudFormation gives a change set with nothing to
// do; osls reads it to skip the deploy.
const noChanges = "The submitted information didn't contain changes. Submit different information to create a change set."

func (s *Service) createChangeSet(_ context.Context, q query) (any, error) {
	name, csName, typ := q.str("StackName"), q.str("ChangeSetName"), q.str("ChangeSetType")
	if typ == "" {
		typ = "UPDATE"
	}
	st := s.live(name)
	switch {
	case typ == "CREATE" && st != nil && st.status != ReviewInProgress:
		return nil, &apiError{http.StatusBadRequest, "AlreadyExistsException", "Stack [" + name + "] already exists and cannot be created again with the changeSet [" + csName + "]."}
	case typ == "UPDATE" && st == nil:
		return nil, missing(name)
	case typ != "CREATE" && typ != "UPDATE":
		return nil, validation("ChangeSetType %s is not emulated (CREATE and UPDATE are)", typ)
	}
	if st != nil {
		if err := updatable(st); err != nil {
			return nil, err
		}
	}
	body, tpl, params, err := s.proposal(q, st)
	if err != nil {
		return nil, err
	}
	if st == nil {
		st = s.newStack(name, q, body, tpl, params)
		s.rootEvent(st, ReviewInProgress, "User Initiated")
	}
	cs := &changeSet{id: s.changeSetARN(name, csName), name: csName, typ: typ, status: "CREATE_COMPLETE", exec: "AVAILABLE",
		body: body, tpl: tpl, params: params, capabilities: q.list("Capabilities"), tags: tagsOf(q), created: s.now()}
	cs.changes = changes(st, tpl)
	if missingImport := s.missingImport(tpl); missingImport != "" {
		cs.status, cs.exec, cs.reason = "FAILED", "UNAVAILABLE", "No export named "+missingImport+" found."
	} else if typ == "UPDATE" && len(cs.changes) == 0 && reflect.DeepEqual(params, st.params) && string(body) == string(st.body) {
		cs.status, cs.exec, cs.reason = "FAILED", "UNAVAILABLE", noChanges
	}
	s.mu.Lock()
	st.changeSets = append(st.changeSets, cs)
	s.mu.Unlock()
	return struct {
		ID      string `xml:"Id"`
		StackID string `xml:"StackId"`
	}{cs.id, st.id}, nil
}

// updatable refuses a change to a stack in a state CloudFormation refuses.
func updatable(st *stack) error {
	switch st.status {
	case CreateComplete, UpdateComplete, UpdateRollbackComplete, ReviewInProgress:
		return nil
	}
	return validation("Stack:%s is in %s state and can not be updated.", st.id, st.status)
}

// proposal reads a request's template and parameters and applies the checks
// CloudFormation makes before it starts.
func (s *Service) proposal(q query, st *stack) ([]byte, *cfn.Template, map[string]string, error) {
	var prev map[string]string
	if st != nil {
		prev = st.params
	}
	if q.bool("UsePreviousTemplate") && st != nil {
		return s.withParams(q, st.body, st.tpl, prev)
	}
	body, tpl, err := s.templateOf(q)
	if err != nil {
		return nil, nil, nil, err
	}
	return s.withParams(q, body, tpl, prev)
}

func (s *Service) withParams(q query, body []byte, tpl *cfn.Template, prev map[string]string) ([]byte, *cfn.Template, map[string]string, error) {
	params, err := q.parameters(prev)
	if err == nil {
		err = checkParameters(tpl, params)
	}
	if err == nil {
		err = checkCapabilities(tpl, q.list("Capabilities"))
	}
	return body, tpl, params, err
}

// missingImport is an export the template imports by name that no stack
// has, if any.
func (s *Service) missingImport(tpl *cfn.Template) string {
	values, _ := s.exports()
	for _, name := range literalImports(tpl) {
		if _, ok := values[name]; !ok {
			return name
		}
	}
	return ""
}

// literalImports are the export names a template imports as literals (osls
// resolves its variables when it packages, so the names are literals).
func literalImports(tpl *cfn.Template) []string {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if name, ok := v["Fn::ImportValue"].(string); ok && len(v) == 1 {
				seen[name] = true
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
	for _, r := range tpl.Resources {
		walk(r.Properties)
	}
	for _, o := range tpl.Outputs {
		walk(o.Value)
	}
	return sortedKeys(seen)
}

// changes lists what a template changes in a stack's resources, by their
// declarations: added, removed, or modified (with whether an immutable
// property changed, which replaces the resource).
func changes(st *stack, tpl *cfn.Template) []changeXML {
	var old map[string]cfn.RawResource
	if st != nil && st.tpl != nil && st.status != ReviewInProgress {
		old = st.tpl.Resources
	}
	var out []changeXML
	for _, id := range sortedKeys(tpl.Resources) {
		r := tpl.Resources[id]
		o, ok := old[id]
		switch {
		case !ok:
			out = append(out, changeXML{Type: "Resource", Action: "Add", LogicalID: id, ResourceType: r.Type})
		case !sameDeclaration(o, r):
			c := changeXML{Type: "Resource", Action: "Modify", LogicalID: id, PhysicalID: physicalOf(st, id), ResourceType: r.Type,
				Replacement: "False", Scope: []string{"Properties"}}
			if o.Type != r.Type || len(replacing(o, r)) > 0 {
				c.Replacement = "True"
			}
			out = append(out, c)
		}
	}
	for _, id := range sortedKeys(old) {
		if _, ok := tpl.Resources[id]; !ok {
			out = append(out, changeXML{Type: "Resource", Action: "Remove", LogicalID: id, PhysicalID: physicalOf(st, id), ResourceType: old[id].Type})
		}
	}
	return out
}

func sameDeclaration(a, b cfn.RawResource) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func physicalOf(st *stack, id string) string {
	if r, ok := st.resources[id]; ok {
		return r.physicalID
	}
	return ""
}

// immutable are the properties whose change replaces a resource, for the
// types the local cloud makes ("Update requires: Replacement" in each
// type's CloudFormation reference).
var immutable = map[string][]string{
	"AWS::DynamoDB::Table":            {"TableName", "KeySchema", "LocalSecondaryIndexes"},
	"AWS::Kinesis::Stream":            {"Name"},
	"AWS::SQS::Queue":                 {"QueueName", "FifoQueue"},
	"AWS::SNS::Topic":                 {"TopicName", "FifoTopic"},
	"AWS::Lambda::Function":           {"FunctionName", "PackageType"},
	"AWS::IAM::Role":                  {"RoleName", "Path"},
	"AWS::Logs::LogGroup":             {"LogGroupName"},
	"AWS::CloudWatch::Alarm":          {"AlarmName"},
	"AWS::S3::Bucket":                 {"BucketName"},
	"AWS::ApiGateway::Resource":       {"ParentId", "PathPart", "RestApiId"},
	"AWS::ApiGateway::Method":         {"HttpMethod", "ResourceId", "RestApiId"},
	"AWS::ApiGateway::Deployment":     {"RestApiId", "StageName", "DeploymentCanarySettings"},
	"AWS::Lambda::EventSourceMapping": {"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"},
	"AWS::Lambda::Permission":         {"Action", "FunctionName", "Principal", "SourceArn", "SourceAccount"},
	"AWS::Lambda::Version":            {"FunctionName", "CodeSha256", "Description"},
}

// names are the properties that give a resource a custom name: a
// replacement of such a resource fails, since the new one cannot be made
// beside the old under the same name.
var names = map[string]string{
	"AWS::DynamoDB::Table": "TableName", "AWS::Kinesis::Stream": "Name", "AWS::SQS::Queue": "QueueName",
	"AWS::SNS::Topic": "TopicName", "AWS::Lambda::Function": "FunctionName", "AWS::IAM::Role": "RoleName",
	"AWS::Logs::LogGroup": "LogGroupName", "AWS::CloudWatch::Alarm": "AlarmName", "AWS::S3::Bucket": "BucketName",
}

// replacing lists the immutable properties that differ between two
// declarations of a resource.
func replacing(a, b cfn.RawResource) []string {
	var out []string
	for _, p := range immutable[b.Type] {
		ja, _ := json.Marshal(a.Properties[p])
		jb, _ := json.Marshal(b.Properties[p])
		if string(ja) != string(jb) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Service) describeChangeSet(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		if id := q.str("ChangeSetName"); strings.HasPrefix(id, "arn:") {
			st = s.stackOfChangeSet(id)
		}
		if st == nil {
			return nil, changeSetMissing(q.str("ChangeSetName"))
		}
	}
	cs := s.changeSet(st, q.str("ChangeSetName"))
	if cs == nil {
		return nil, changeSetMissing(q.str("ChangeSetName"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	x := changeSetXML{ChangeSetName: cs.name, ChangeSetID: cs.id, StackID: st.id, StackName: st.name, CreationTime: stamp(cs.created),
		ExecutionStatus: cs.exec, Status: cs.status, StatusReason: cs.reason, Capabilities: cs.capabilities, Tags: cs.tags, Changes: cs.changes}
	for _, k := range sortedKeys(cs.params) {
		x.Parameters = append(x.Parameters, parameterXML{k, cs.params[k]})
	}
	return x, nil
}

func (s *Service) stackOfChangeSet(id string) *stack {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.stacks {
		for _, cs := range st.changeSets {
			if cs.id == id {
				return st
			}
		}
	}
	return nil
}

func (s *Service) deleteChangeSet(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, changeSetMissing(q.str("ChangeSetName"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, cs := range st.changeSets {
		if cs.name == q.str("ChangeSetName") || cs.id == q.str("ChangeSetName") {
			st.changeSets = append(st.changeSets[:i], st.changeSets[i+1:]...)
			return struct{}{}, nil
		}
	}
	return nil, changeSetMissing(q.str("ChangeSetName"))
}

func (s *Service) executeChangeSet(ctx context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		st = s.stackOfChangeSet(q.str("ChangeSetName"))
	}
	if st == nil {
		return nil, changeSetMissing(q.str("ChangeSetName"))
	}
	cs := s.changeSet(st, q.str("ChangeSetName"))
	if cs == nil {
		return nil, changeSetMissing(q.str("ChangeSetName"))
	}
	if cs.exec != "AVAILABLE" {
		return nil, &apiError{http.StatusBadRequest, "InvalidChangeSetStatus", "ChangeSet [" + cs.id + "] cannot be executed in its current execution status of [" + cs.exec + "]"}
	}
	s.mu.Lock()
	cs.exec = "EXECUTE_COMPLETE"
	for _, other := range st.changeSets {
		if other != cs {
			other.exec = "OBSOLETE"
		}
	}
	s.mu.Unlock()
	s.apply(context.WithoutCancel(ctx), st, cs.body, cs.tpl, cs.params, cs.tags, cs.capabilities)
	return struct{}{}, nil
}

func (s *Service) changeSetARN(stackName, name string) string {
	return "arn:aws:cloudformation:" + s.Region + ":" + s.Account + ":changeSet/" + name + "/" + newUUID()
}

func tagsOf(q query) []tagXML {
	var out []tagXML
	for _, t := range q.structs("Tags") {
		out = append(out, tagXML{t["Key"], t["Value"]})
	}
	return out
}
