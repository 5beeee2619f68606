// Package lines writes child processes' output line by line, each line
// prefixed with the name of what wrote it.
package lines

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// Prefixer writes whole lines to W, each with Prefix. It is safe for
// concurrent use (a process's stdout and stderr share one).
type Prefixer struct {
	Prefix string
	W      io.Writer
	// Keep, if set, says which lines (without their newline) are written;
	// the others are dropped.
	Keep func(line []byte) bool

	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer; an unfinished line waits for its end.
func (p *Prefixer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if p.Keep == nil || p.Keep(p.buf[:i]) {
			if _, err := fmt.Fprintf(p.W, "%s%s\n", p.Prefix, p.buf[:i]); err != nil {
				return len(b), err
			}
		}
		p.buf = p.buf[i+1:]
	}
}
