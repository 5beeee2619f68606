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
	dir, err := os.MkdirTemp("", "fn-")
	if err != nil {
		panic(err)
	}
	*bootstrap = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", *bootstrap, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the test function %s: %v\n%s", pkg, err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
