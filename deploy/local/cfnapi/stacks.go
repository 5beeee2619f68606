package cfnapi

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// Status is a stack's or a resource's status, in CloudFormation's words.
type Status string

// The statuses the local CloudFormation goes through.
const (
	ReviewInProgress        Status = "REVIEW_IN_PROGRESS"
	CreateInProgress        Status = "CREATE_IN_PROGRESS"
	CreateComplete          Status = "CREATE_COMPLETE"
	CreateFailed            Status = "CREATE_FAILED"
	RollbackInProgress      Status = "ROLLBACK_IN_PROGRESS"
	RollbackComplete        Status = "ROLLBACK_COMPLETE"
	UpdateInProgress        Status = "UPDATE_IN_PROGRESS"
	UpdateCleanupInProgress Status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
	UpdateComplete          Status = "UPDATE_COMPLETE"
	UpdateFailed            Status = "UPDATE_FAILED"
	UpdateRollbackProgress  Status = "UPDATE_ROLLBACK_IN_PROGRESS"
	UpdateRollbackComplete  Status = "UPDATE_ROLLBACK_COMPLETE"
	DeleteInProgress        Status = "DELETE_IN_PROGRESS"
	DeleteComplete          Status = "DELETE_COMPLETE"
	DeleteFailed            Status = "DELETE_FAILED"
)

// stack is one stack, live or deleted.
type stack struct {
	id, name     string
	status       Status
	reason       string
	description  string
	body         []byte // the template as given
	tpl          *cfn.Template
	params       map[string]string
	tags         []tagXML
	capabilities []string
	created      time.Time
	updated      time.Time
	resolved     *cfn.Stack // what the resources are, after the last deploy
	resources    map[string]*resourceState
	events       []eventXML // oldest first
	changeSets   []*changeSet
}

type resourceState struct {
	logicalID, physicalID, typ string
	status                     Status
	reason                     string
	updated                    time.Time
}

// live finds a stack that is not deleted by name or id; deleted ones are
// found by id only, as on AWS.
func (s *Service) live(nameOrID string) *stack {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.stacks) - 1; i >= 0; i-- {
		st := s.stacks[i]
		if st.id == nameOrID || st.name == nameOrID && st.status != DeleteComplete {
			return st
		}
	}
	return nil
}

func missing(name string) error { return validation("Stack with id %s does not exist", name) }

// event records a stack or resource event.
func (s *Service) event(st *stack, logicalID, physicalID, typ string, status Status, reason string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := eventXML{EventID: newUUID(), StackID: st.id, StackName: st.name, LogicalResourceID: logicalID,
		PhysicalResourceID: physicalID, ResourceType: typ, Timestamp: stamp(now), ResourceStatus: string(status), ResourceStatusReason: reason}
	st.events = append(st.events, e)
	if typ == "AWS::CloudFormation::Stack" {
		st.status, st.reason = status, reason
		return
	}
	if st.resources == nil {
		st.resources = map[string]*resourceState{}
	}
	r := st.resources[logicalID]
	if r == nil {
		r = &resourceState{logicalID: logicalID, typ: typ}
		st.resources[logicalID] = r
	}
	r.physicalID, r.status, r.reason, r.updated = physicalID, status, reason, now
	if status == DeleteComplete {
		delete(st.resources, logicalID)
	}
}

// rootEvent records the stack's own status.
func (s *Service) rootEvent(st *stack, status Status, reason string) {
	s.event(st, st.name, st.id, "AWS::CloudFormation::Stack", status, reason)
}

func (s *Service) describeStacks(_ context.Context, q query) (any, error) {
	var list []*stack
	if name := q.str("StackName"); name != "" {
		st := s.live(name)
		if st == nil {
			return nil, missing(name)
		}
		list = []*stack{st}
	} else {
		s.mu.Lock()
		for _, st := range s.stacks {
			if st.status != DeleteComplete {
				list = append(list, st)
			}
		}
		s.mu.Unlock()
	}
	out := struct {
		Stacks []stackXML `xml:"Stacks>member"`
	}{}
	for _, st := range list {
		out.Stacks = append(out.Stacks, s.stackXML(st))
	}
	return out, nil
}

func (s *Service) stackXML(st *stack) stackXML {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := stackXML{StackID: st.id, StackName: st.name, Description: st.description, CreationTime: stamp(st.created),
		StackStatus: string(st.status), StackStatusReason: st.reason, Capabilities: st.capabilities, Tags: st.tags,
		DriftStatus: "NOT_CHECKED"}
	if !st.updated.IsZero() {
		x.LastUpdatedTime = stamp(st.updated)
	}
	for _, k := range sortedKeys(st.params) {
		x.Parameters = append(x.Parameters, parameterXML{k, st.params[k]})
	}
	if st.resolved != nil && st.status != ReviewInProgress {
		for _, k := range sortedKeys(st.resolved.Outputs) {
			x.Outputs = append(x.Outputs, outputXML{OutputKey: k, OutputValue: st.resolved.Outputs[k], ExportName: st.resolved.ExportNames[k]})
		}
	}
	return x
}

func (s *Service) describeStackEvents(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, missing(q.str("StackName"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start, _ := strconv.Atoi(q.str("NextToken"))
	out := struct {
		StackEvents []eventXML `xml:"StackEvents>member"`
		NextToken   string     `xml:"NextToken,omitempty"`
	}{}
	const page = 100
	for i := len(st.events) - 1 - start; i >= 0 && len(out.StackEvents) < page; i-- { // newest first
		out.StackEvents = append(out.StackEvents, st.events[i])
	}
	if start+page < len(st.events) {
		out.NextToken = strconv.Itoa(start + page)
	}
	return out, nil
}

func (s *Service) describeStackResource(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, missing(q.str("StackName"))
	}
	id := q.str("LogicalResourceId")
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := st.resources[id]
	if !ok {
		return nil, validation("Resource %s does not exist for stack %s", id, st.name)
	}
	return struct {
		Detail resourceXML `xml:"StackResourceDetail"`
	}{resourceXMLOf(st, r)}, nil
}

func (s *Service) describeStackResources(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, missing(q.str("StackName"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Resources []resourceXML `xml:"StackResources>member"`
	}{}
	for _, k := range sortedKeys(st.resources) {
		if id := q.str("LogicalResourceId"); id == "" || id == k {
			out.Resources = append(out.Resources, resourceXMLOf(st, st.resources[k]))
		}
	}
	return out, nil
}

func (s *Service) listStackResources(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, missing(q.str("StackName"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Summaries []resourceXML `xml:"StackResourceSummaries>member"`
	}{}
	for _, k := range sortedKeys(st.resources) {
		r := resourceXMLOf(st, st.resources[k])
		r.StackID, r.StackName, r.Timestamp = "", "", ""
		out.Summaries = append(out.Summaries, r)
	}
	return out, nil
}

func resourceXMLOf(st *stack, r *resourceState) resourceXML {
	return resourceXML{StackID: st.id, StackName: st.name, LogicalResourceID: r.logicalID, PhysicalResourceID: r.physicalID,
		ResourceType: r.typ, ResourceStatus: string(r.status), ResourceStatusReason: r.reason,
		LastUpdatedTimestamp: stamp(r.updated), Timestamp: stamp(r.updated), DriftStatus: "NOT_CHECKED"}
}

func (s *Service) getTemplate(_ context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, missing(q.str("StackName"))
	}
	body := st.body
	if name := q.str("ChangeSetName"); name != "" {
		cs := s.changeSet(st, name)
		if cs == nil {
			return nil, changeSetMissing(name)
		}
		body = cs.body
	}
	return struct {
		TemplateBody    string   `xml:"TemplateBody"`
		StagesAvailable []string `xml:"StagesAvailable>member"`
	}{string(body), []string{"Original", "Processed"}}, nil
}

func (s *Service) listStacks(_ context.Context, _ query) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Summaries []stackSummaryXML `xml:"StackSummaries>member"`
	}{}
	for i := len(s.stacks) - 1; i >= 0; i-- {
		st := s.stacks[i]
		out.Summaries = append(out.Summaries, stackSummaryXML{StackID: st.id, StackName: st.name, CreationTime: stamp(st.created),
			StackStatus: string(st.status), StackStatusReason: st.reason})
	}
	return out, nil
}

// exports are every live stack's exports, name → value, and which stack
// makes each.
func (s *Service) exports() (values map[string]string, by map[string]*stack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	values, by = map[string]string{}, map[string]*stack{}
	for _, st := range s.stacks {
		if st.status == DeleteComplete || st.resolved == nil {
			continue
		}
		for k, v := range st.resolved.Exports {
			values[k], by[k] = v, st
		}
	}
	return values, by
}

func (s *Service) listExports(_ context.Context, _ query) (any, error) {
	values, by := s.exports()
	out := struct {
		Exports []exportXML `xml:"Exports>member"`
	}{}
	for _, k := range sortedKeys(values) {
		out.Exports = append(out.Exports, exportXML{by[k].id, k, values[k]})
	}
	return out, nil
}

func (s *Service) listImports(_ context.Context, q query) (any, error) {
	name := q.str("ExportName")
	if _, ok := func() (string, bool) { v, _ := s.exports(); x, ok := v[name]; return x, ok }(); !ok {
		return nil, validation("Export '%s' does not exist.", name)
	}
	out := struct {
		Imports []string `xml:"Imports>member"`
	}{Imports: s.importers(name)}
	if len(out.Imports) == 0 {
		return nil, validation("Export '%s' is not imported by any stack.", name)
	}
	return out, nil
}

// importers are the live stacks whose template imports export name.
func (s *Service) importers(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, st := range s.stacks {
		if st.status == DeleteComplete || st.resolved == nil {
			continue
		}
		if stringsContain(st.resolved.Imports, name) {
			out = append(out, st.name)
		}
	}
	return out
}

func stringsContain(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func newUUID() string { return requestID() }

// stackARN is a stack's id.
func (s *Service) stackARN(name string) string {
	return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", s.Region, s.Account, name, newUUID())
}
