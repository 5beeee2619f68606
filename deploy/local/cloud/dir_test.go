package cloud_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// One cloud's state is its own: a cloud started next to a running one, in
// the same checkout, writes under a directory of its own and leaves the
// running one's files and endpoints untouched when it stops; a cloud asked
// for the running one's directory (make up twice) is refused, naming the
// running one's pid and console.
func TestCloudNextToARunningOneLeavesItUntouched(t *testing.T) {
	r := root(t)
	dir := t.TempDir() // as make up's .moviepipe
	running, err := cloud.Up(t.Context(), cloud.Options{Root: r, Dir: dir, Empty: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	statePath := filepath.Join(dir, cloud.StateFile)
	before, err := os.ReadFile(statePath)
	if err != nil || running.StatePath() != statePath {
		t.Fatalf("state at %s (%v), want %s", running.StatePath(), err, statePath)
	}

	_, err = cloud.Up(t.Context(), cloud.Options{Root: r, Dir: dir, Empty: true, Log: io.Discard})
	var busy *cloud.RunningError
	if !errors.As(err, &busy) || busy.PID != os.Getpid() || busy.Console != running.State.Console {
		t.Fatalf("a second cloud in the same directory: %v, want a RunningError naming pid %d and %s", err, os.Getpid(), running.State.Console)
	}
	if msg := err.Error(); !strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())) || !strings.Contains(msg, running.State.Console) {
		t.Errorf("refusal %q names neither the pid nor the console", msg)
	}

	next, err := cloud.Up(t.Context(), cloud.Options{Root: r, Empty: true, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Dir(next.StatePath())
	if own == dir || !strings.HasPrefix(own, filepath.Join(r, ".moviepipe", "clouds")+string(filepath.Separator)) {
		t.Errorf("a test cloud's directory %s: want its own under .moviepipe/clouds", own)
	}
	next.Close()
	if _, err := os.Stat(own); !os.IsNotExist(err) {
		t.Errorf("the test cloud's directory %s outlived it", own)
	}

	if after, err := os.ReadFile(statePath); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("the running cloud's state changed when the test cloud stopped: %v\n%s", err, after)
	}
	if st, err := cloud.Running(dir); err != nil || st.Console != running.State.Console {
		t.Fatalf("Running(%s) = %v, %v", dir, st.Console, err)
	}
	resp, err := http.Get(running.State.Console + "/")
	if err != nil {
		t.Fatalf("the running cloud stopped answering: %v", err)
	}
	resp.Body.Close()

	running.Close()
	if _, err := cloud.Running(dir); !errors.Is(err, cloud.ErrNotRunning) {
		t.Errorf("after Close, Running: %v, want ErrNotRunning", err)
	}
	if _, err := os.Stat(statePath); !os.IsNotExist(err) {
		t.Error("the state file outlived its cloud")
	}
}
