package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

const (
	processorFn = "moviepipe-processor-local"
	queryFn     = "moviepipe-query-api-local"
)

var requestIDRE = regexp.MustCompile(`--- log tail, request id (\S+) ---`)

// invokeForLog invokes a function of the running cloud synchronously on a
// sample event and returns the invocation's request id.
func invokeForLog(t *testing.T, getenv func(string) string, function, event string) string {
	t.Helper()
	code, out, stderr := moviepipeLocal(t, getenv, "invoke", function, "-e", repoFile(t, event))
	m := requestIDRE.FindStringSubmatch(stderr)
	if code != 0 || m == nil {
		t.Fatalf("invoke %s: exit %d\n%s\n%s", function, code, out, stderr)
	}
	return m[1]
}

// The functions' logs of a running cloud read back by another process's
// command, each line prefixed by its function: both functions' START and
// REPORT lines of what was just invoked, with no colour on what is not a
// terminal.
func TestLogsReadBack(t *testing.T) {
	_, getenv := runningCloud(t)
	p := invokeForLog(t, getenv, "processor", "processor/testdata/events/kinesis-batch.json")
	q := invokeForLog(t, getenv, "query-api", "query-api/testdata/events/get-movie.json")
	code, out, stderr := moviepipeLocal(t, getenv, "logs")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"[" + processorFn + "] START RequestId: " + p, "[" + processorFn + "] REPORT RequestId: " + p,
		"[" + queryFn + "] START RequestId: " + q, "[" + queryFn + "] REPORT RequestId: " + q,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no line %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colours in a buffer:\n%q", out)
	}
}

// One function's logs are its lines and no other's; an unknown function is
// refused naming the cloud's functions.
func TestLogsOfOneFunction(t *testing.T) {
	_, getenv := runningCloud(t)
	p := invokeForLog(t, getenv, "processor", "processor/testdata/events/kinesis-batch.json")
	q := invokeForLog(t, getenv, "query-api", "query-api/testdata/events/get-movie.json")
	code, out, stderr := moviepipeLocal(t, getenv, "logs", "query-api")
	if code != 0 || !strings.Contains(out, "["+queryFn+"] START RequestId: "+q) || strings.Contains(out, p) {
		t.Fatalf("exit %d: %s\nwant %s's lines (%s) without the processor's (%s):\n%s", code, stderr, queryFn, q, p, out)
	}
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "["+queryFn+"] ") {
			t.Errorf("a line not of %s: %q", queryFn, line)
		}
	}
	code, _, stderr = moviepipeLocal(t, getenv, "logs", "nope")
	if code != 2 || !strings.Contains(stderr, "no function nope") || !strings.Contains(stderr, queryFn) {
		t.Errorf("an unknown function: exit %d, %s", code, stderr)
	}
}

// Following, the command prints a line the function writes after it has
// read the whole log (where it would stop without -f).
func TestLogsFollowGetsANewLine(t *testing.T) {
	c, getenv := runningCloud(t)
	dir := filepath.Dir(c.StatePath())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a bound on the wait, not a measure
	defer cancel()
	atEnd := make(chan struct{}, 1)
	follow := whileRunning(dir, c.State.PID)
	idle := func(ctx context.Context) bool {
		select {
		case atEnd <- struct{}{}:
		default:
		}
		return follow(ctx)
	}
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- printLog(ctx, c.State.Logs, &linePrinter{w: w, only: queryFn}, idle)
		w.Close()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	want := ""
	for want == "" || !sawLine(ctx, t, lines, want) {
		select {
		case <-atEnd: // the whole log read: a line of now is a new one
			id := invokeForLog(t, getenv, "query-api", "query-api/testdata/events/get-movie.json")
			want = "[" + queryFn + "] REPORT RequestId: " + id
		case <-ctx.Done():
			t.Fatal("the follower never reached the end of the log")
		case _, ok := <-lines:
			if !ok {
				t.Fatalf("the follower ended (%v) before the end of the log", <-done)
			}
		}
	}
	cancel()
	go func() { // let the follower end
		for l := range lines {
			_ = l
		}
	}()
	if err := <-done; err != nil {
		t.Errorf("follow: %v", err)
	}
}

// sawLine reads lines until one starts with want; it fails the test if
// they end first.
func sawLine(ctx context.Context, t *testing.T, lines <-chan string, want string) bool {
	t.Helper()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the follower ended before the line %q", want)
			}
			if strings.HasPrefix(line, want) {
				return true
			}
		case <-ctx.Done():
			t.Fatalf("no line %q", want)
		}
	}
}

// On a terminal each function's prefix is coloured; NO_COLOR turns that
// off, and a pipe gets the lines as the cloud wrote them.
func TestLogsColourOnlyOnATerminal(t *testing.T) {
	_, getenv := runningCloud(t)
	invokeForLog(t, getenv, "query-api", "query-api/testdata/events/get-movie.json")
	env := func(noColour string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return noColour
			}
			return getenv(k)
		}
	}
	onTTY := func(getenv func(string) string) string {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer ptmx.Close()
		var got bytes.Buffer
		copied := make(chan struct{})
		go func() { _, _ = io.Copy(&got, ptmx); close(copied) }()
		code := run(t.Context(), []string{"logs", "query-api"}, getenv, tty, io.Discard)
		tty.Close()
		<-copied // ends with EIO once the terminal is closed and read
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		return got.String()
	}
	if out := onTTY(env("")); !strings.Contains(out, "\x1b[") || !strings.Contains(out, queryFn+"]\x1b[0m ") {
		t.Errorf("no colour on a terminal:\n%q", out[:min(len(out), 300)])
	}
	if out := onTTY(env("1")); strings.Contains(out, "\x1b[") || !strings.Contains(out, "["+queryFn+"] ") {
		t.Errorf("colour on a terminal with NO_COLOR:\n%q", out[:min(len(out), 300)])
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&got, r); close(copied) }()
	code := run(t.Context(), []string{"logs", "query-api"}, env(""), w, io.Discard)
	w.Close()
	<-copied
	if out := got.String(); code != 0 || strings.Contains(out, "\x1b[") || !strings.Contains(out, "["+queryFn+"] START RequestId: ") {
		t.Errorf("a pipe: exit %d\n%q", code, out[:min(len(out), 300)])
	}
}
