package cloud

import (
	"io"
	"os"
	"path/filepath"
)

// LogFile is the name of the functions' log in a cloud's directory: every
// line each function's environments write (its stdout and stderr, and
// Lambda's own lines: START, END and REPORT, or in the JSON log format their
// platform.* records), each prefixed by the function's name in brackets
// ("[moviepipe-processor-local] {"time":…,"type":"platform.start",…}"), in
// the order they were written. The cloud truncates it when it starts and
// leaves it when it stops; State.Logs names it, for make logs.
const LogFile = "functions.log"

// functionLog is the file a cloud writes its functions' lines into, next
// to its terminal output.
type functionLog struct {
	f    *os.File
	path string
}

// openFunctionLog opens the functions' log of the cloud in dir, empty.
func openFunctionLog(dir string) (*functionLog, error) {
	path := filepath.Join(dir, LogFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &functionLog{f: f, path: path}, nil
}

// writer is where a function's hosts write their prefixed lines: the
// cloud's output and the file. A host writes each line in one call, so a
// line is appended whole, never interleaved with another function's.
func (l *functionLog) writer(terminal io.Writer) io.Writer {
	if l == nil {
		return terminal
	}
	return io.MultiWriter(terminal, l.f)
}

func (l *functionLog) close() {
	if l != nil {
		_ = l.f.Close()
	}
}
