// Package emulators starts and stops the pinned AWS emulators that the local
// cloud and the tests run against: kinesis-local (kinesis-mock) and dynalite,
// both installed by npm ci into the repository's node_modules.
//
// Each emulator runs in its own process group on free loopback ports and is
// stopped with its whole group; if this process dies first, the kernel kills
// the emulators too (Pdeathsig), so no emulator outlives its owner.
package emulators

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/internal/lines"
)

// Config says where the emulators live and where their output goes.
type Config struct {
	// Root is the repository root holding node_modules. Empty means the first
	// folder upwards from the working directory that holds
	// node_modules/kinesis-local.
	Root string
	// Log receives the emulators' output, each line prefixed with its name.
	// Nil discards it.
	Log io.Writer
	// Ready bounds the wait for both emulators to answer. Zero means 30s.
	Ready time.Duration
}

// Emulators is a running pair of emulators.
type Emulators struct {
	// Kinesis and DynamoDB are the endpoint URLs, for AWS_ENDPOINT_URL_KINESIS
	// and AWS_ENDPOINT_URL_DYNAMODB.
	Kinesis, DynamoDB string

	procs    []*proc
	stopOnce sync.Once
	stopErr  error
}

// Region is the region the emulators are used with; kinesis-local keeps
// streams per signing region, so every client must agree on it.
const Region = "us-east-1"

// Env returns the standard AWS SDK variables that point a process at the
// emulators, with dummy credentials and the instance metadata service off.
func (e *Emulators) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_KINESIS=" + e.Kinesis,
		"AWS_ENDPOINT_URL_DYNAMODB=" + e.DynamoDB,
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// PIDs returns the process ids of the emulators (the leaders of their groups).
func (e *Emulators) PIDs() []int {
	var pids []int
	for _, p := range e.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// FindRoot returns the first folder upwards from dir that holds
// node_modules/kinesis-local.
func FindRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "node_modules", "kinesis-local", "main.js")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no node_modules/kinesis-local above %s: run npm ci at the repository root", dir)
		}
	}
}

// Start launches both emulators and returns when both answer API calls. On
// error nothing is left running. ctx bounds only the start; call Stop to end
// the emulators.
func Start(ctx context.Context, cfg Config) (*Emulators, error) {
	if cfg.Root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		if cfg.Root, err = FindRoot(wd); err != nil {
			return nil, err
		}
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Ready == 0 {
		cfg.Ready = 30 * time.Second
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node is needed for the emulators: %w", err)
	}
	// kinesis-local listens on every interface, so its ports must be free
	// there; all three are found together so that they differ (two separate
	// searches once gave dynalite kinesis-local's TLS port).
	ports, err := freePorts("", 3)
	if err != nil {
		return nil, err
	}
	kin := filepath.Join(cfg.Root, "node_modules", "kinesis-local")
	dyn := filepath.Join(cfg.Root, "node_modules", "dynalite")
	e := &Emulators{
		Kinesis:  fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		DynamoDB: fmt.Sprintf("http://127.0.0.1:%d", ports[2]),
	}
	specs := []struct {
		name string
		stop syscall.Signal
		args []string
		env  []string
	}{
		// kinesis-local (a cats-effect program) waits on SIGTERM and SIGINT
		// until it is killed; it exits at once on SIGHUP. It keeps nothing.
		{"kinesis", syscall.SIGHUP, []string{filepath.Join(kin, "main.js")}, []string{
			"KINESIS_MOCK_CERT_PATH=" + filepath.Join(kin, "server.json"),
			"KINESIS_MOCK_PLAIN_PORT=" + strconv.Itoa(ports[0]),
			"KINESIS_MOCK_TLS_PORT=" + strconv.Itoa(ports[1]),
			"CREATE_STREAM_DURATION=0ms", "DELETE_STREAM_DURATION=0ms",
			"UPDATE_STREAM_DURATION=0ms", "REGISTER_STREAM_CONSUMER_DURATION=0ms",
			"LOG_LEVEL=WARN",
		}},
		{"dynamodb", syscall.SIGTERM, []string{filepath.Join(dyn, "cli.js"), "--host", "127.0.0.1",
			"--port", strconv.Itoa(ports[2]), "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}, nil},
	}
	for _, s := range specs {
		cmd := exec.Command(node, s.args...)
		cmd.Dir = cfg.Root
		cmd.Env = append(os.Environ(), s.env...)
		w := &lines.Prefixer{Prefix: "[" + s.name + "] ", W: cfg.Log}
		cmd.Stdout, cmd.Stderr = w, w
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			_ = e.Stop() // the start error is the one to report
			return nil, fmt.Errorf("start %s emulator: %w", s.name, err)
		}
		p := &proc{name: s.name, stop: s.stop, cmd: cmd, exited: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(p.exited) }()
		e.procs = append(e.procs, p)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Ready)
	defer cancel()
	errs := make(chan error, 2)
	go func() {
		errs <- waitReady(ctx, e.procs[0], e.Kinesis, "Kinesis_20131202.ListStreams", "application/x-amz-json-1.1")
	}()
	go func() {
		errs <- waitReady(ctx, e.procs[1], e.DynamoDB, "DynamoDB_20120810.ListTables", "application/x-amz-json-1.0")
	}()
	if err := errors.Join(<-errs, <-errs); err != nil {
		_ = e.Stop() // the readiness error is the one to report
		return nil, err
	}
	return e, nil
}

// Stop ends both emulators with their process groups, together: the signal
// each exits on, then SIGKILL after two seconds. It waits until they are
// gone and is safe to call twice.
func (e *Emulators) Stop() error {
	e.stopOnce.Do(func() {
		errs := make([]error, len(e.procs))
		var wg sync.WaitGroup
		for i, p := range e.procs {
			wg.Go(func() { errs[i] = stopGroup(p, 2*time.Second) })
		}
		wg.Wait()
		e.stopErr = errors.Join(errs...)
	})
	return e.stopErr
}

// proc is one emulator process; exited closes when it has been reaped.
type proc struct {
	name   string
	stop   syscall.Signal // what it exits on
	cmd    *exec.Cmd
	exited chan struct{}
}

func stopGroup(p *proc, grace time.Duration) error {
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(-pid, p.stop)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.exited
	}
	// Anything the leader started lives in its group: make sure it is gone.
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill process group %d: %w", pid, err)
	}
	return nil
}

// waitReady polls an emulator with a harmless list call until it answers 200.
func waitReady(ctx context.Context, p *proc, endpoint, target, contentType string) error {
	name := p.name
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader([]byte(`{}`)))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/"+Region+"/"+name+"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s emulator at %s not ready: %w", name, endpoint, last)
		case <-p.exited:
			return fmt.Errorf("%s emulator exited before it was ready (%v); its output is in the emulator log", name, p.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// freePorts finds n distinct free TCP ports on host ("" for every interface).
func freePorts(host string, n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
