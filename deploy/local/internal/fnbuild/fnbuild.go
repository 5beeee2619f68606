// Package fnbuild builds a test function as a real Lambda bootstrap for the
// local cloud's conformance tests.
package fnbuild

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Main builds pkg (relative to the test's package) into a temporary
// bootstrap, stores its path in *bootstrap, runs the tests and exits.
func Main(m *testing.M, pkg string, bootstrap *string) {
	os.Exit(Run(m, pkg, bootstrap))
}

// Run is Main without the exit: it returns the tests' exit code, so that a
// TestMain can stop what it started for them.
func Run(m *testing.M, pkg string, bootstrap *string) int {
	dir, err := os.MkdirTemp("", "fn-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "build the test function:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	*bootstrap = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", *bootstrap, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the test function %s: %v\n%s", pkg, err, out)
		return 1
	}
	return m.Run()
}
