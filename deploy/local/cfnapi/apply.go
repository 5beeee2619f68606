package cfnapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Apply creates the stack name from the template body, or updates it when
// it exists, through the checks and the Deployer that CreateStack and
// UpdateStack use, with osls's capabilities (CAPABILITY_IAM,
// CAPABILITY_NAMED_IAM). It returns when the operation has ended: nil when
// the stack completed (or there was nothing to update), else the failed
// resource's *ResourceError or CloudFormation's reason for the stack. It is
// how make up creates the packaged stacks in process, as osls deploy
// creates them over HTTP.
func (s *Service) Apply(ctx context.Context, name string, body []byte, params map[string]string) error {
	q := query{"StackName": {name}, "TemplateBody": {string(body)},
		"Capabilities.member.1": {"CAPABILITY_IAM"}, "Capabilities.member.2": {"CAPABILITY_NAMED_IAM"}}
	for i, k := range sortedKeys(params) {
		q[fmt.Sprintf("Parameters.member.%d.ParameterKey", i+1)] = []string{k}
		q[fmt.Sprintf("Parameters.member.%d.ParameterValue", i+1)] = []string{params[k]}
	}
	var err error
	st := s.live(name)
	if st != nil && st.status != ReviewInProgress {
		_, err = s.updateStack(ctx, q)
	} else {
		_, err = s.createStack(ctx, q)
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.message == "No updates are to be performed." {
		return nil
	}
	if err != nil {
		return err
	}
	return s.outcome(s.live(name))
}

// Exists reports whether a stack of that name exists (in any status but
// DELETE_COMPLETE and REVIEW_IN_PROGRESS).
func (s *Service) Exists(name string) bool {
	st := s.live(name)
	return st != nil && st.status != ReviewInProgress
}

// outcome is nil for a stack whose last operation completed, else why it
// failed: the first failed resource of that operation, or the stack's
// reason.
func (s *Service) outcome(st *stack) error {
	if st == nil {
		return errors.New("the stack was rolled back and deleted")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st.status {
	case CreateComplete, UpdateComplete:
		return nil
	}
	start := 0
	for i, e := range st.events {
		if e.ResourceType == "AWS::CloudFormation::Stack" && (e.ResourceStatus == string(CreateInProgress) || e.ResourceStatus == string(UpdateInProgress)) {
			start = i
		}
	}
	reason := st.reason
	for _, e := range st.events[start:] {
		if strings.HasSuffix(e.ResourceStatus, "_FAILED") && e.ResourceType != "AWS::CloudFormation::Stack" {
			return &ResourceError{LogicalID: e.LogicalResourceID, Type: e.ResourceType, Reason: e.ResourceStatusReason}
		}
		rollingBack := e.ResourceStatus == string(RollbackInProgress) || e.ResourceStatus == string(UpdateRollbackProgress)
		if e.ResourceType == "AWS::CloudFormation::Stack" && rollingBack {
			reason = e.ResourceStatusReason
		}
	}
	return fmt.Errorf("stack %s %s: %s", st.name, st.status, reason)
}
