package cloud

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/cfnapi"
	"github.com/moviepipe/moviepipe/deploy/local/stack"
)

// Deploy makes a stack's resources what its template declares: the local
// cloud is the local CloudFormation's Deployer (cfnapi.Deployer), for osls
// deploy and make up alike. Resources are made in dependency order, each
// reported as CloudFormation reports it (nothing for an unchanged one); then
// the stack's functions, routes and event source mappings replace what it
// ran before, and what the template no longer declares is deleted. On an
// error, what this deploy made is removed again and the error names the
// resource, in CloudFormation's words where it has them.
func (c *Cloud) Deploy(ctx context.Context, dep cfnapi.Deployment) (*cfn.Stack, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := newDeclared()
	var made []*cfn.Resource
	s, err := cfn.Resolve(dep.Template, cfn.Env{StackName: dep.StackName, Region: region, Account: account,
		Parameters: dep.Parameters, Imports: dep.Imports,
		Create: func(r *cfn.Resource) error {
			prev := previous(dep.Previous, r.ID)
			verb := "CREATE"
			if prev != nil {
				verb = "UPDATE"
			}
			changed := prev == nil || prev.Type != r.Type || !equalProps(prev, r)
			if changed {
				dep.Event(r, verb+"_IN_PROGRESS", "")
			}
			if err := c.create(ctx, d, r, prev); err != nil {
				return &cfnapi.ResourceError{LogicalID: r.ID, Type: r.Type, Reason: err.Error()}
			}
			if prev == nil {
				made = append(made, r)
			}
			if changed {
				dep.Event(r, verb+"_COMPLETE", "")
			}
			return nil
		}})
	if err == nil {
		err = c.start(ctx, dep.StackName, d)
	}
	if err != nil {
		if derr := c.deleteData(ctx, made, func(*cfn.Resource, string, string) {}); derr != nil {
			c.log.Error("cloudformation: undoing a failed deploy", "stack", dep.StackName, "error", derr)
		}
		return nil, unwrapResource(err)
	}
	if dep.Previous != nil {
		var gone []*cfn.Resource
		for _, r := range dep.Previous.Resources {
			if _, kept := s.Resource(r.ID); !kept {
				gone = append(gone, r)
			}
		}
		// As in CloudFormation's cleanup phase, a resource that cannot be
		// deleted is reported and does not fail the update.
		if err := c.deleteData(ctx, gone, dep.Event); err != nil {
			c.log.Warn("cloudformation: cleanup", "stack", dep.StackName, "error", err)
		}
	}
	c.recordStack(dep.StackName, s.Exports, d.sortedNotes())
	return s, nil
}

// Delete removes a stack's resources: what it runs stops, and its streams,
// tables, queues and buckets are deleted, last made first. A bucket that is
// not empty stops the deletion, as on AWS (osls empties its deployment
// bucket first).
func (c *Cloud) Delete(ctx context.Context, s *cfn.Stack, event func(r *cfn.Resource, status, reason string)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if run := c.stacks[s.Name]; run != nil && covers(s, run.decl) {
		c.stop(s.Name)
	}
	if err := c.deleteData(ctx, s.Resources, event); err != nil {
		return err
	}
	c.recordStack(s.Name, nil, nil)
	return nil
}

// deleteData deletes the data resources among rs, last first, reporting
// each; resources the cloud only recorded are reported deleted.
func (c *Cloud) deleteData(ctx context.Context, rs []*cfn.Resource, event func(r *cfn.Resource, status, reason string)) error {
	for _, r := range slices.Backward(rs) {
		event(r, "DELETE_IN_PROGRESS", "")
		var err error
		switch r.Type {
		case "AWS::S3::Bucket":
			err = c.s3.DeleteBucket(r.Ref)
		case "AWS::Kinesis::Stream":
			delete(c.streams, r.Attrs["Arn"])
			err = stack.Delete(ctx, c.clients, r)
		default:
			err = stack.Delete(ctx, c.clients, r)
		}
		if err != nil {
			event(r, "DELETE_FAILED", err.Error())
			return fmt.Errorf("%s (%s): %w", r.ID, r.Type, err)
		}
		event(r, "DELETE_COMPLETE", "")
	}
	return nil
}

// previous is the resource of a logical id in the stack as it stands.
func previous(s *cfn.Stack, id string) *cfn.Resource {
	if s == nil {
		return nil
	}
	r, _ := s.Resource(id)
	return r
}

// covers reports whether s holds every function of d: the whole stack, not
// the part an update made and must unmake.
func covers(s *cfn.Stack, d *declared) bool {
	for _, f := range d.functions {
		if _, ok := s.Resource(f.res.ID); !ok {
			return false
		}
	}
	return true
}

// unwrapResource returns the *cfnapi.ResourceError inside err, so that
// CloudFormation reports the resource's own reason.
func unwrapResource(err error) error {
	var re *cfnapi.ResourceError
	if errors.As(err, &re) {
		return re
	}
	return err
}
