package cfnapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// newStack records a stack about to be created.
func (s *Service) newStack(name string, q query, body []byte, tpl *cfn.Template, params map[string]string) *stack {
	st := &stack{id: s.stackARN(name), name: name, description: tpl.Description, body: body, tpl: tpl, params: params,
		tags: tagsOf(q), capabilities: q.list("Capabilities"), created: s.now(), status: ReviewInProgress}
	s.mu.Lock()
	s.stacks = append(s.stacks, st)
	s.mu.Unlock()
	return st
}

func (s *Service) createStack(ctx context.Context, q query) (any, error) {
	name := q.str("StackName")
	if st := s.live(name); st != nil && st.status != ReviewInProgress {
		return nil, &apiError{http.StatusBadRequest, "AlreadyExistsException", "Stack [" + name + "] already exists"}
	}
	if err := stackName(name); err != nil {
		return nil, err
	}
	body, tpl, params, err := s.proposal(q, nil)
	if err != nil {
		return nil, err
	}
	if missingImport := s.missingImport(tpl); missingImport != "" {
		return nil, validation("No export named %s found.", missingImport)
	}
	st := s.newStack(name, q, body, tpl, params)
	s.apply(context.WithoutCancel(ctx), st, body, tpl, params, st.tags, st.capabilities)
	return struct {
		StackID string `xml:"StackId"`
	}{st.id}, nil
}

func (s *Service) updateStack(ctx context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return nil, missing(q.str("StackName"))
	}
	if err := updatable(st); err != nil {
		return nil, err
	}
	body, tpl, params, err := s.proposal(q, st)
	if err != nil {
		return nil, err
	}
	if string(body) == string(st.body) && reflect.DeepEqual(params, st.params) {
		return nil, validation("No updates are to be performed.")
	}
	if missingImport := s.missingImport(tpl); missingImport != "" {
		return nil, validation("No export named %s found.", missingImport)
	}
	s.apply(context.WithoutCancel(ctx), st, body, tpl, params, tagsOf(q), q.list("Capabilities"))
	return struct {
		StackID string `xml:"StackId"`
	}{st.id}, nil
}

// stackName applies CloudFormation's rule for stack names.
func stackName(name string) error {
	ok := name != "" && len(name) <= 128 && (name[0] >= 'a' && name[0] <= 'z' || name[0] >= 'A' && name[0] <= 'Z')
	for _, c := range name {
		ok = ok && (c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
	}
	if !ok {
		return validation("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	return nil
}

// apply creates or updates a stack to body, as CloudFormation runs a stack
// operation: the stack's status and each resource's in events, and on a
// failure the stack rolled back (deleted on a creation, returned to its
// previous template on an update).
func (s *Service) apply(ctx context.Context, st *stack, body []byte, tpl *cfn.Template, params map[string]string, tags []tagXML, caps []string) {
	s.deploying.Lock()
	defer s.deploying.Unlock()
	creating := st.resolved == nil
	s.rootEvent(st, map[bool]Status{true: CreateInProgress, false: UpdateInProgress}[creating], "User Initiated")
	prev := st.resolved
	if err := s.replacesNamed(st, tpl); err != nil {
		s.failAndRollBack(ctx, st, err, creating)
		return
	}
	resolved, err := s.Deployer.Deploy(ctx, Deployment{StackName: st.name, Template: tpl, Parameters: params, Previous: prev,
		Imports: func(n string) (string, bool) { v, _ := s.exports(); x, ok := v[n]; return x, ok },
		Event:   func(r *cfn.Resource, status, reason string) { s.event(st, r.ID, r.Ref, r.Type, Status(status), reason) }})
	if err == nil {
		err = s.exportsStillImported(st, prev, resolved)
		if err != nil {
			_ = s.Deployer.Delete(ctx, onlyNew(resolved, prev), func(*cfn.Resource, string, string) {})
		}
	}
	if err != nil {
		s.failAndRollBack(ctx, st, err, creating)
		return
	}
	s.mu.Lock()
	st.body, st.tpl, st.params, st.resolved, st.description = body, tpl, params, resolved, tpl.Description
	st.tags, st.capabilities = tags, caps
	if !creating {
		st.updated = s.now()
	}
	s.mu.Unlock()
	if creating {
		s.rootEvent(st, CreateComplete, "")
		return
	}
	s.rootEvent(st, UpdateCleanupInProgress, "")
	s.rootEvent(st, UpdateComplete, "")
}

// failAndRollBack records a failed operation and rolls the stack back.
func (s *Service) failAndRollBack(ctx context.Context, st *stack, err error, creating bool) {
	var re *ResourceError
	if errors.As(err, &re) {
		s.event(st, re.LogicalID, "", re.Type, map[bool]Status{true: CreateFailed, false: UpdateFailed}[creating], re.Reason)
	}
	reason := "The following resource(s) failed to " + map[bool]string{true: "create", false: "update"}[creating] + ": [" + failedID(err) + "]. Rollback requested by user."
	if !errors.As(err, &re) {
		reason = err.Error()
	}
	if creating {
		s.rootEvent(st, RollbackInProgress, reason)
		s.mu.Lock()
		st.resources = nil
		s.mu.Unlock()
		s.rootEvent(st, RollbackComplete, "")
		return
	}
	s.rootEvent(st, UpdateRollbackProgress, reason)
	if _, rerr := s.Deployer.Deploy(ctx, Deployment{StackName: st.name, Template: st.tpl, Parameters: st.params, Previous: st.resolved,
		Imports: func(n string) (string, bool) { v, _ := s.exports(); x, ok := v[n]; return x, ok },
		Event:   func(*cfn.Resource, string, string) {}}); rerr != nil {
		s.log().Error("cloudformation: rolling back failed", "stack", st.name, "error", rerr)
	}
	s.rootEvent(st, UpdateRollbackComplete, "")
}

func failedID(err error) string {
	var re *ResourceError
	if errors.As(err, &re) {
		return re.LogicalID
	}
	return ""
}

// replacesNamed refuses an update that replaces a resource with a custom
// name, as CloudFormation does.
func (s *Service) replacesNamed(st *stack, tpl *cfn.Template) error {
	if st.tpl == nil || st.resolved == nil {
		return nil
	}
	for _, id := range sortedKeys(tpl.Resources) {
		old, ok := st.tpl.Resources[id]
		r := tpl.Resources[id]
		if !ok || names[r.Type] == "" || r.Properties[names[r.Type]] == nil || len(replacing(old, r)) == 0 {
			continue
		}
		name := physicalOf(st, id)
		return &ResourceError{LogicalID: id, Type: r.Type, Reason: fmt.Sprintf(
			"CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename %s and update the stack again.", name)}
	}
	return nil
}

// exportsStillImported refuses an update that removes an export another
// stack imports.
func (s *Service) exportsStillImported(st *stack, prev, next *cfn.Stack) error {
	if prev == nil {
		return nil
	}
	for _, name := range sortedKeys(prev.Exports) {
		if _, kept := next.Exports[name]; kept {
			continue
		}
		if users := s.importers(name); len(users) > 0 {
			return stackError(fmt.Sprintf("Export %s cannot be deleted as it is in use by %s", name, strings.Join(users, " and ")))
		}
	}
	return nil
}

// stackError is a failure of a whole stack operation, in CloudFormation's
// words (its stack status reason).
type stackError string

func (e stackError) Error() string { return string(e) }

// onlyNew is the part of next that prev did not have: what a refused update
// made and must unmake.
func onlyNew(next, prev *cfn.Stack) *cfn.Stack {
	out := &cfn.Stack{Name: next.Name}
	for _, r := range next.Resources {
		if _, ok := prev.Resource(r.ID); !ok {
			out.Resources = append(out.Resources, r)
		}
	}
	return out
}

func (s *Service) deleteStack(ctx context.Context, q query) (any, error) {
	st := s.live(q.str("StackName"))
	if st == nil {
		return struct{}{}, nil // deleting a stack that does not exist succeeds
	}
	s.deploying.Lock()
	defer s.deploying.Unlock()
	s.rootEvent(st, DeleteInProgress, "User Initiated")
	if st.resolved != nil {
		for _, name := range sortedKeys(st.resolved.Exports) {
			var users []string
			for _, u := range s.importers(name) {
				if u != st.name {
					users = append(users, u)
				}
			}
			if len(users) > 0 {
				sort.Strings(users)
				s.rootEvent(st, DeleteFailed, fmt.Sprintf("Export %s cannot be deleted as it is in use by %s", name, strings.Join(users, " and ")))
				return struct{}{}, nil
			}
		}
		if err := s.Deployer.Delete(context.WithoutCancel(ctx), st.resolved, func(r *cfn.Resource, status, reason string) {
			s.event(st, r.ID, r.Ref, r.Type, Status(status), reason)
		}); err != nil {
			s.rootEvent(st, DeleteFailed, err.Error())
			return struct{}{}, nil
		}
	}
	s.rootEvent(st, DeleteComplete, "")
	return struct{}{}, nil
}
