package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
)

// printPermissions writes the permission report: per function, the
// permissions its calls used, those denied, and the grants of its role that
// no call used in this run, each with what uses it on AWS when the function
// itself does not (docs/local-cloud.md, "IAM").
func printPermissions(w io.Writer, p cloud.Permissions) {
	fmt.Fprintln(w, "\npermissions, as the local front doors checked them:")
	callers := map[string]bool{}
	for _, u := range append(append([]frontdoor.Use(nil), p.Used...), p.Denied...) {
		callers[u.Caller] = true
	}
	for _, g := range p.Unused {
		callers[g.Caller] = true
	}
	for _, caller := range slices.Sorted(maps.Keys(callers)) {
		fmt.Fprintf(w, "  %s\n", caller)
		for _, u := range p.Used {
			if u.Caller == caller {
				fmt.Fprintf(w, "    used    %s on %s (%d)\n", u.Action, u.Resource, u.Count)
			}
		}
		for _, u := range p.Denied {
			if u.Caller == caller {
				fmt.Fprintf(w, "    DENIED  %s on %s (%d)\n", u.Action, u.Resource, u.Count)
			}
		}
		for _, g := range p.Unused {
			if g.Caller == caller {
				fmt.Fprintf(w, "    unused  %s on %s%s\n", g.Action, g.Resource, usedElsewhere(g.Action))
			}
		}
	}
	if len(p.Denied) == 0 {
		fmt.Fprintln(w, "  nothing was denied")
	}
}

// usedElsewhere says who uses a grant on AWS that the function's own code
// never calls.
func usedElsewhere(action string) string {
	switch {
	case strings.HasPrefix(action, "logs:"):
		return "  (Lambda writes the function's logs with it on AWS; not checked locally)"
	case strings.HasPrefix(action, "xray:"):
		return "  (the X-Ray daemon sends the segments with it on AWS; not checked locally)"
	}
	return ""
}
