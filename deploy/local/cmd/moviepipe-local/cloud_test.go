package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
)

// shared is the local cloud the daily commands' tests run against, started
// by the first test that needs it, in a directory of its own, and stopped
// after the last.
var shared struct {
	once sync.Once
	c    *cloud.Cloud
	err  error
	logs syncBuffer
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.c != nil {
		shared.c.Close()
	}
	os.Exit(code)
}

// runningCloud is the shared cloud and the environment that points the
// commands at it (MOVIEPIPE_LOCAL_DIR).
func runningCloud(t *testing.T) (*cloud.Cloud, func(string) string) {
	t.Helper()
	shared.once.Do(func() {
		wd, _ := os.Getwd()
		root, err := emulators.FindRoot(wd)
		if err != nil {
			shared.err = err
			return
		}
		shared.c, shared.err = cloud.Up(context.Background(), cloud.Options{Root: root, Log: &shared.logs})
	})
	if shared.err != nil {
		t.Fatal(shared.err) // never skipped: make package-local and npm ci are what it needs
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(shared.logs.tail(4000))
		}
	})
	dir := filepath.Dir(shared.c.StatePath())
	return shared.c, func(k string) string {
		if k == "MOVIEPIPE_LOCAL_DIR" {
			return dir
		}
		return ""
	}
}

// moviepipeLocal runs the command in-process and returns its exit code,
// stdout and stderr.
func moviepipeLocal(t *testing.T, getenv func(string) string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(t.Context(), args, getenv, &out, &errb)
	return code, out.String(), errb.String()
}

// make up next to a running cloud of the same directory is refused before
// it starts anything, naming the running one's pid and console.
func TestUpRefusesASecondCloud(t *testing.T) {
	c, getenv := runningCloud(t)
	code, _, stderr := moviepipeLocal(t, getenv, "up", "-empty")
	if code != 1 || !strings.Contains(stderr, "already running") || !strings.Contains(stderr, "pid "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(stderr, c.State.Console) {
		t.Fatalf("second up: exit %d, %s; want 1 naming pid %d and %s", code, stderr, os.Getpid(), c.State.Console)
	}
	if _, err := cloud.Running(filepath.Dir(c.StatePath())); err != nil {
		t.Fatalf("the running cloud after a refused up: %v", err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.b.Bytes()
	return string(b[max(0, len(b)-n):])
}
