package main

import (
	"strings"
	"testing"
)

// make up's fixed ports come from -ports, else MOVIEPIPE_LOCAL_PORTS; a
// malformed one is refused.
func TestUpPortsFromFlagOrEnvironment(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  string
		want int
		bad  bool
	}{
		{"none: free ports", nil, "", 0, false},
		{"flag", []string{"-ports", "4560"}, "", 4560, false},
		{"environment", nil, "4570", 4570, false},
		{"the flag wins", []string{"-ports", "4560"}, "4570", 4560, false},
		{"not a number", nil, "four", 0, true},
		{"negative", []string{"-ports", "-3"}, "", 0, true},
	} {
		getenv := func(k string) string {
			if k == "MOVIEPIPE_LOCAL_PORTS" {
				return c.env
			}
			return ""
		}
		var stderr strings.Builder
		opts, err := upOptions("/repo", c.args, getenv, &stderr)
		switch {
		case c.bad && err == nil:
			t.Errorf("%s: accepted, ports %d", c.name, opts.Ports)
		case !c.bad && (err != nil || opts.Ports != c.want):
			t.Errorf("%s: ports %d, %v %s; want %d", c.name, opts.Ports, err, stderr.String(), c.want)
		}
	}
}
