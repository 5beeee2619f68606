package lambda

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// output is an environment's log stream, as Lambda makes one of a
// function's stdout, stderr and its own platform lines (START, END, REPORT,
// a runtime's exit): one pipe, which the process writes both streams into
// and the host writes its lines into, so that everything comes in the order
// it was written. Each byte goes to the function's log, prefixed by the
// caller, and to the tail of the invocation in progress, if any.
//
// An invocation's tail is complete once drain returns: drain writes a mark
// into the pipe after everything the invocation wrote, and waits until the
// reader reaches it.
type output struct {
	r, w *os.File
	log  io.Writer

	mu     sync.Mutex
	tail   *bytes.Buffer
	sent   int           // drain marks written
	seen   int           // drain marks read
	marked chan struct{} // closed, and replaced, when a mark is read
	done   chan struct{} // closed when the reader has read everything
}

// drainMark is what drain writes into the pipe; the reader removes it.
const drainMark = "\x00moviepipe-lambda-drain\x00"

func newOutput(log io.Writer) (*output, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	o := &output{r: r, w: w, log: log, marked: make(chan struct{}), done: make(chan struct{})}
	go o.copy()
	return o, nil
}

// platform writes one of Lambda's own lines into the stream.
func (o *output) platform(format string, a ...any) {
	_, _ = fmt.Fprintf(o.w, format+"\n", a...)
}

// attach starts collecting an invocation's tail.
func (o *output) attach() {
	o.mu.Lock()
	o.tail = &bytes.Buffer{}
	o.mu.Unlock()
}

// detach stops collecting and returns the tail's last 4 KB.
func (o *output) detach() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tail == nil {
		return nil
	}
	b := o.tail.Bytes()
	o.tail = nil
	return bytes.Clone(b[max(0, len(b)-tailSize):])
}

// drain returns once everything written into the stream before it was
// called has been read, or after a second if the reader is stuck.
func (o *output) drain() {
	o.mu.Lock()
	o.sent++
	want := o.sent
	o.mu.Unlock()
	if _, err := o.w.WriteString(drainMark); err != nil {
		return
	}
	stuck := time.After(time.Second)
	for {
		o.mu.Lock()
		seen, marked := o.seen, o.marked
		o.mu.Unlock()
		if seen >= want {
			return
		}
		select {
		case <-marked:
		case <-o.done:
			return
		case <-stuck:
			return
		}
	}
}

// close closes the host's end of the pipe: the reader ends once the process
// has gone too and everything written is read.
func (o *output) close() { _ = o.w.Close() }

func (o *output) copy() {
	defer close(o.done)
	defer o.r.Close()
	buf := make([]byte, 32<<10)
	var held []byte
	for {
		n, err := o.r.Read(buf)
		held = o.scan(append(held, buf[:n]...))
		if err != nil {
			o.emit(held)
			return
		}
	}
}

// scan emits p without its drain marks, counting them, and returns what
// may be the start of a mark that the next read completes.
func (o *output) scan(p []byte) []byte {
	for {
		i := bytes.Index(p, []byte(drainMark))
		if i < 0 {
			break
		}
		o.emit(p[:i])
		o.mu.Lock()
		o.seen++
		close(o.marked)
		o.marked = make(chan struct{})
		o.mu.Unlock()
		p = p[i+len(drainMark):]
	}
	keep := 0
	for k := min(len(p), len(drainMark)-1); k > 0; k-- {
		if bytes.HasSuffix(p, []byte(drainMark[:k])) {
			keep = k
			break
		}
	}
	o.emit(p[:len(p)-keep])
	return bytes.Clone(p[len(p)-keep:])
}

func (o *output) emit(p []byte) {
	if len(p) == 0 {
		return
	}
	_, _ = o.log.Write(p)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tail == nil {
		return
	}
	o.tail.Write(p)
	if o.tail.Len() > 4*tailSize { // keep what the tail can return, and some
		rest := bytes.Clone(o.tail.Bytes()[o.tail.Len()-tailSize:])
		o.tail.Reset()
		o.tail.Write(rest)
	}
}
