package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

const logsUsage = "usage: moviepipe-local logs [FUNCTION] [-f] [-json]"

// logsArgs are logs' command line.
type logsArgs struct {
	function string
	follow   bool
	json     bool
}

func parseLogs(args []string, stderr io.Writer) (logsArgs, error) {
	var a logsArgs
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&a.follow, "f", false, "follow: print new lines as the functions write them, until the cloud stops or Ctrl-C")
	fs.BoolVar(&a.json, "json", false, "print the lines as the functions and Lambda wrote them (JSON), not made readable")
	var err error
	a.function, err = parseWithFunction(fs, args)
	return a, err
}

// logs prints the functions' log of the cloud running in dir (its
// cloud.LogFile), every function's or one's (its name or its service), each
// line prefixed by the function's name in brackets and made readable (see
// readable; with -json, as written); on a terminal the prefix is coloured,
// one colour per function (NO_COLOR or TERM=dumb turn that off), in a pipe or
// a file it is not.
// With -f it then prints new lines as they come, until the cloud stops or
// ctx ends.
func logs(ctx context.Context, dir string, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	a, err := parseLogs(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, logsUsage)
		return 2
	}
	s, err := running(dir)
	if err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	p := &linePrinter{w: stdout, colour: wantColour(stdout, getenv), raw: a.json}
	if a.function != "" {
		if p.only, err = functionNamed(s, a.function); err != nil {
			fmt.Fprintln(stderr, "moviepipe-local:", err)
			return 2
		}
	}
	idle := func(context.Context) bool { return false }
	if a.follow {
		idle = whileRunning(dir, s.PID)
	}
	if err := printLog(ctx, s.Logs, p, idle); err != nil {
		fmt.Fprintln(stderr, "moviepipe-local:", err)
		return 1
	}
	return 0
}

// wantColour says whether w is a terminal that colours are for.
func wantColour(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) &&
		getenv("NO_COLOR") == "" && getenv("TERM") != "dumb"
}

// printLog prints the log at path through p. At its end it asks idle
// whether to wait for more: idle waits a little and says whether to read
// on (follow), or says no at once.
func printLog(ctx context.Context, path string, p *linePrinter, idle func(context.Context) bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("the functions' log: %w", err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var held []byte // a line not ended yet
	for {
		line, err := r.ReadBytes('\n')
		held = append(held, line...)
		if err == nil {
			if err := p.print(held); err != nil {
				return err
			}
			held = held[:0]
			continue
		}
		if !errors.Is(err, io.EOF) {
			return err
		}
		if ctx.Err() != nil || !idle(ctx) {
			if len(held) > 0 {
				return p.print(append(held, '\n'))
			}
			return nil
		}
	}
}

// whileRunning is follow's idle: it waits a moment and says whether the
// cloud of that pid still runs in dir (a cloud that stopped, or was
// replaced by another, ends the following).
func whileRunning(dir string, pid int) func(context.Context) bool {
	return func(ctx context.Context) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(200 * time.Millisecond):
		}
		s, err := cloud.Running(dir)
		return err == nil && s.PID == pid
	}
}

// linePrinter prints the log's lines, those of one function or all.
type linePrinter struct {
	w      io.Writer
	only   string // a function's name, or "" for all
	colour bool
	raw    bool // the lines as written, not made readable
}

// palette is the functions' colours, picked by a hash of the name so that
// a function keeps its colour from one start to the next.
var palette = []color.Attribute{color.FgCyan, color.FgMagenta, color.FgYellow, color.FgGreen, color.FgBlue, color.FgRed,
	color.FgHiCyan, color.FgHiMagenta}

// print prints one line, ended by a newline, if it is of the function
// asked for.
func (p *linePrinter) print(line []byte) error {
	name, ok := functionOf(line)
	if p.only != "" && name != p.only {
		return nil
	}
	var body []byte
	if ok && !p.raw {
		body = readable(bytes.TrimSuffix(line[len(name)+3:], []byte("\n")))
	}
	if len(body) == 0 {
		return p.write(name, ok, line)
	}
	// A record made readable may be lines (a fault's text): each is prefixed.
	for l := range bytes.Lines(body) {
		if err := p.write(name, ok, slices.Concat(line[:len(name)+3], bytes.TrimSuffix(l, []byte("\n")), []byte("\n"))); err != nil {
			return err
		}
	}
	return nil
}

// write writes one line, its function's prefix coloured when p colours.
func (p *linePrinter) write(name string, ok bool, line []byte) error {
	if !p.colour || !ok {
		_, err := p.w.Write(line)
		return err
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(name))
	c := color.New(palette[h.Sum32()%uint32(len(palette))])
	c.EnableColor()
	_, err := fmt.Fprintf(p.w, "%s%s", c.Sprint("["+name+"]"), line[len(name)+2:])
	return err
}

// functionOf is the function a line of the log is from: the name in its
// "[name] " prefix.
func functionOf(line []byte) (string, bool) {
	if len(line) == 0 || line[0] != '[' {
		return "", false
	}
	i := bytes.Index(line, []byte("] "))
	if i < 0 {
		return "", false
	}
	return string(line[1:i]), true
}
