package frontdoor

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/moviepipe/moviepipe/deploy/local/iam"
)

// Report records what the front doors decided, per caller: the permissions
// used, and those denied.
type Report struct {
	mu   sync.Mutex
	uses map[use]int
}

type use struct {
	caller, action, resource string
	allowed, explicit        bool
}

// Use is one permission a caller asked for, and how often.
type Use struct {
	Caller, Action, Resource string
	Allowed, ExplicitDeny    bool
	Count                    int
}

// Record counts one decision.
func (r *Report) Record(caller string, p iam.Permission, d iam.Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.uses == nil {
		r.uses = map[use]int{}
	}
	r.uses[use{caller, p.Action, p.Resource, d.Allowed, d.ExplicitDeny}]++
}

// Uses are the decisions recorded, by caller, action and resource.
func (r *Report) Uses() []Use {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Use, 0, len(r.uses))
	for u, n := range r.uses {
		out = append(out, Use{u.caller, u.action, u.resource, u.allowed, u.explicit, n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Caller+"\x00"+a.Action+"\x00"+a.Resource < b.Caller+"\x00"+b.Action+"\x00"+b.Resource
	})
	return out
}

// Denied are the uses that were denied.
func (r *Report) Denied() []Use {
	var out []Use
	for _, u := range r.Uses() {
		if !u.Allowed {
			out = append(out, u)
		}
	}
	return out
}

// Grant is one action pattern on one resource pattern of an Allow statement.
type Grant struct {
	Caller, Policy   string
	Statement        int
	Action, Resource string
}

// Unused lists each grant of each principal's Allow statements that no
// allowed call of the principal matched.
func (r *Report) Unused(principals []*Principal) []Grant {
	uses := r.Uses()
	var out []Grant
	for _, p := range principals {
		for _, pol := range p.Policies {
			for i, s := range pol.Statements {
				if s.Effect != iam.Allow {
					continue
				}
				for _, g := range grants(p.Name, pol.Name, i, s) {
					if !usedBy(uses, g) {
						out = append(out, g)
					}
				}
			}
		}
	}
	return out
}

func grants(caller, policy string, i int, s iam.Statement) []Grant {
	actions, resources := s.Actions, s.Resources
	if actions == nil {
		actions = []string{"NotAction " + strings.Join(s.NotActions, ",")}
	}
	if resources == nil {
		resources = []string{"NotResource " + strings.Join(s.NotResources, ",")}
	}
	var out []Grant
	for _, a := range actions {
		for _, res := range resources {
			out = append(out, Grant{caller, policy, i, a, res})
		}
	}
	return out
}

func usedBy(uses []Use, g Grant) bool {
	one := iam.Policy{Statements: []iam.Statement{{Effect: iam.Allow, Actions: []string{g.Action}, Resources: []string{g.Resource}}}}
	for _, u := range uses {
		if u.Allowed && u.Caller == g.Caller && iam.Evaluate([]iam.Policy{one}, u.Action, u.Resource).Allowed {
			return true
		}
	}
	return false
}

// String is the report as make demo prints it.
func (g Grant) String() string {
	return fmt.Sprintf("%s on %s", g.Action, g.Resource)
}
