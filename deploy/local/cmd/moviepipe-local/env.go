package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// env prints the shell lines that give the caller's shell the running
// cloud's deploy environment (cloud.State.DeployEnv, which exec runs
// commands with): an export for each variable it sets, an unset for each
// variable of environ it drops (another profile, session or endpoint).
func env(dir string, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, `usage: eval "$(moviepipe-local env)"`)
		return 2
	}
	s, err := running(dir)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	fmt.Fprintf(stdout, "# the moviepipe local cloud, pid %d, console %s: its credentials change at each start\n", s.PID, s.Console)
	for _, line := range exportLines(s.DeployEnv(nil), s.DeployEnv(environ), environ) {
		fmt.Fprintln(stdout, line)
	}
	return 0
}

// exportLines are the lines that set the variables of set and unset those
// of environ that kept does not keep, in a stable order.
func exportLines(set, kept, environ []string) []string {
	var unset, export []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(kept, func(k string) bool { return strings.HasPrefix(k, name+"=") }) {
			unset = append(unset, "unset "+name)
		}
	}
	for _, kv := range set {
		name, value, _ := strings.Cut(kv, "=")
		export = append(export, "export "+name+"="+shellQuote(value))
	}
	slices.Sort(unset)
	slices.Sort(export)
	return append(slices.Compact(unset), export...)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
