// Command with-emulators runs a command with kinesis-local, dynalite and the
// local cloud's SQS (sqslocal) started on free loopback ports, and the
// standard AWS SDK variables (AWS_ENDPOINT_URL_KINESIS,
// AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS, region, dummy
// credentials) set for it. The emulators are stopped when the command ends,
// fails, or when this program gets SIGINT or SIGTERM.
//
//	with-emulators [-log FILE] -- go test ./...
//
// The exit status is the command's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"

	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("with-emulators", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logPath := fs.String("log", "", "write the emulators' output to this file (default: discard)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: with-emulators [-log FILE] -- command [args...]")
		return 2
	}
	// Signals are caught before the emulators start, so none can orphan them.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	log, err := openLog(*logPath)
	if err != nil {
		fmt.Fprintln(stderr, "with-emulators:", err)
		return 1
	}
	defer log.Close()
	// Until the command runs, a signal cancels the start; then it is forwarded.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started atomic.Pointer[os.Process]
	go func() {
		for s := range sigs {
			if p := started.Load(); p != nil {
				_ = p.Signal(s)
			} else {
				cancel()
			}
		}
	}()
	emu, err := emulators.Start(ctx, emulators.Config{Log: log})
	if err != nil {
		fmt.Fprintln(stderr, "with-emulators:", err)
		return 1
	}
	defer func() {
		if err := emu.Stop(); err != nil {
			fmt.Fprintln(stderr, "with-emulators: stop:", err)
		}
	}()
	queues, err := serveSQS()
	if err != nil {
		fmt.Fprintln(stderr, "with-emulators:", err)
		return 1
	}
	fmt.Fprintf(stderr, "with-emulators: kinesis %s, dynamodb %s, sqs %s\n", emu.Kinesis, emu.DynamoDB, queues)

	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Env = append(os.Environ(), emu.Env()...)
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL_SQS="+queues)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	return command(ctx, cmd, &started, stderr)
}

// command runs cmd, publishing its process to started for the signal
// forwarder, and returns its exit code (1 when a signal ended it).
func command(ctx context.Context, cmd *exec.Cmd, started *atomic.Pointer[os.Process], stderr io.Writer) int {
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "with-emulators:", err)
		return 1
	}
	started.Store(cmd.Process)
	if ctx.Err() != nil { // a signal came while the command was starting
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	err := cmd.Wait()
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		if code := exit.ExitCode(); code >= 0 {
			return code
		}
		return 1 // ended by a signal
	}
	if err != nil {
		fmt.Fprintln(stderr, "with-emulators:", err)
		return 1
	}
	return 0
}

// openLog is the file the emulators write to, or a sink when path is "".
func openLog(path string) (io.WriteCloser, error) {
	if path == "" {
		return nopCloser{io.Discard}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.Create(path)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// serveSQS serves the local cloud's SQS on a free loopback port for as long
// as this program runs, and returns its URL.
func serveSQS() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("sqs: %w", err)
	}
	srv := sqslocal.New(emulators.Region, "000000000000")
	srv.BaseURL = "http://" + ln.Addr().String()
	go func() { _ = http.Serve(ln, srv) }() //nolint:gosec // a loopback test server, gone with this program
	return srv.BaseURL, nil
}
