package cloud_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// freeBase finds three free loopback ports in a row.
func freeBase(t *testing.T) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if base+2 > 65535 || !free(base) || !free(base+1) || !free(base+2) {
			continue
		}
		return base
	}
	t.Fatal("no three free ports in a row")
	return 0
}

func free(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	_ = ln.Close()
	return true
}

// A fixed port that is taken fails the start at once, naming what wanted
// it and the port, and leaves the ports it had taken free.
func TestConsoleFixedPortTakenFailsNamingIt(t *testing.T) {
	base := freeBase(t)
	taken, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+1))
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	c, err := cloud.Up(t.Context(), cloud.Options{Root: root(t), Ports: base})
	if err == nil {
		c.Close()
		t.Fatal("Up started with the API's fixed port taken")
	}
	if msg := err.Error(); !strings.Contains(msg, "api") || !strings.Contains(msg, strconv.Itoa(base+1)) {
		t.Errorf("the error does not name the API and port %d: %v", base+1, err)
	}
	if !free(base) || !free(base+2) {
		t.Error("the failed start kept the console's or the site's port")
	}
	for _, bad := range []int{-1, 65534} {
		if _, err := cloud.Up(t.Context(), cloud.Options{Root: root(t), Ports: bad}); err == nil || !strings.Contains(err.Error(), "ports") {
			t.Errorf("ports %d: %v, want a refusal", bad, err)
		}
	}
}
