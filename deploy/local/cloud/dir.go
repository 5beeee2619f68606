package cloud

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// StateFile is the name of a cloud's state file in its directory.
const StateFile = "local.json"

// CheckoutDir is the directory of a checkout's own cloud, the one make up
// starts and make env, make invoke and the other tools find.
func CheckoutDir(root string) string { return filepath.Join(root, ".moviepipe") }

// RunningError is Up's answer when another cloud holds the directory asked
// for: the running cloud's process and console.
type RunningError struct {
	Dir     string
	PID     int
	Console string // "" while it is still starting
}

func (e *RunningError) Error() string {
	console := e.Console
	if console == "" {
		console = "not up yet: it is still starting"
	}
	return fmt.Sprintf("a local cloud is already running in %s: pid %d, console %s (stop it first: Ctrl-C in its terminal, or kill %d)",
		e.Dir, e.PID, console, e.PID)
}

// dir is a cloud's own directory, held by its lock for as long as the
// cloud runs: no other cloud writes there meanwhile.
type dir struct {
	path string
	made bool // made by this cloud, removed by it
	lock *flock.Flock
}

// claimDir takes the directory a cloud is given, or makes it a new one
// under <root>/.moviepipe/clouds. A directory another cloud holds is a
// *RunningError.
func claimDir(root, path string) (*dir, error) {
	d := &dir{path: path}
	if path == "" {
		parent := filepath.Join(CheckoutDir(root), "clouds")
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, err
		}
		p, err := os.MkdirTemp(parent, strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			return nil, err
		}
		d.path, d.made = p, true
	} else if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, err
	}
	d.lock = flock.New(filepath.Join(d.path, "local.lock"))
	ok, err := d.lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", d.lock.Path(), err)
	}
	if !ok {
		return nil, d.holder()
	}
	// The holder's pid, for whoever finds the lock taken before the state
	// file is written.
	if err := os.WriteFile(d.lock.Path()+".pid", []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		_ = d.lock.Unlock()
		return nil, err
	}
	return d, nil
}

// holder describes the cloud that holds d.
func (d *dir) holder() *RunningError {
	e := &RunningError{Dir: d.path}
	if b, err := os.ReadFile(d.lock.Path() + ".pid"); err == nil {
		e.PID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	var s State
	if b, err := os.ReadFile(filepath.Join(d.path, StateFile)); err == nil && json.Unmarshal(b, &s) == nil && s.PID == e.PID {
		e.Console = s.Console
	}
	return e
}

// release removes what the cloud wrote in its directory, the directory
// itself if the cloud made it, and lets another cloud have it.
func (d *dir) release() error {
	var errs []error
	for _, f := range []string{StateFile, "local.lock.pid"} {
		if err := os.Remove(filepath.Join(d.path, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if d.made {
		errs = append(errs, os.RemoveAll(d.path))
	}
	return errors.Join(append(errs, d.lock.Unlock())...)
}

// ErrNotRunning is Running's answer when no cloud holds the directory.
var ErrNotRunning = errors.New("no local cloud is running")

// Running reads the state of the cloud running in dir. A state file that
// no running cloud holds (left by one that was killed) is ErrNotRunning.
func Running(dir string) (State, error) {
	var s State
	lock := flock.New(filepath.Join(dir, "local.lock"))
	free, err := lock.TryRLock()
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("lock %s: %w", lock.Path(), err)
	}
	if free || err != nil {
		_ = lock.Unlock()
		return s, fmt.Errorf("%w in %s", ErrNotRunning, dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return s, fmt.Errorf("%w in %s yet (it is starting)", ErrNotRunning, dir)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, StateFile), err)
	}
	return s, nil
}
