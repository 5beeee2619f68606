// Package examples holds the golden examples of movie-record.v1, embedded, so
// that every service's contract tests read the same documents without
// looking for files outside their module.
//
// valid/*.json must pass movie-record.v1. invalid/*.json must fail it for the
// reason each name states: <instance path>--<keyword>--<what>.json, the path's
// "/" written "." and "root" for the record itself (year--maximum--far-future
// fails "maximum" at /year), or undecodable--<what>.json for bytes that are
// not one I-JSON value (contracts.ErrNotJSON). The contracts module's tests
// hold every file to its name.
package examples

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed valid/*.json invalid/*.json
var files embed.FS

// Example is one golden document.
type Example struct {
	Name string // the file name without ".json"
	Data []byte
}

// Violation is what an invalid example's name says it fails: the JSON
// Pointer of the instance ("" for the record itself) and the schema
// keyword. ok is false for an undecodable--… example, or a name not of
// the form <path>--<keyword>--<what>.
func (e Example) Violation() (instancePath, keyword string, ok bool) {
	parts := strings.Split(e.Name, "--")
	if len(parts) != 3 || parts[0] == "undecodable" {
		return "", "", false
	}
	if parts[0] != "root" {
		instancePath = "/" + strings.ReplaceAll(parts[0], ".", "/")
	}
	return instancePath, parts[1], true
}

// Valid returns the examples that movie-record.v1 accepts, in name order.
func Valid() []Example { return read("valid") }

// Invalid returns the examples that movie-record.v1 refuses, in name order.
func Invalid() []Example { return read("invalid") }

// FS returns the examples as files: valid/<name>.json and invalid/<name>.json.
func FS() fs.FS { return files }

func read(dir string) []Example {
	entries, err := files.ReadDir(dir)
	if err != nil {
		panic(err) // the folder is embedded: it exists
	}
	out := make([]Example, 0, len(entries))
	for _, e := range entries { // ReadDir sorts by name
		data, err := files.ReadFile(dir + "/" + e.Name())
		if err != nil {
			panic(err)
		}
		out = append(out, Example{Name: strings.TrimSuffix(e.Name(), ".json"), Data: data})
	}
	return out
}
