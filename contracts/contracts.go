// Package contracts holds the JSON Schemas that the moviepipe services share,
// and validates documents against them.
//
// The schemas are data, embedded from the schemas folder: movie-record.v1 (the
// record on the Kinesis stream), movie.v1 (the resource the query API returns)
// and error-record.v1 (an entry of the error table). They are the only thing
// the services share; each service keeps its own Go types and proves them
// against the schemas in its tests.
//
// Unknown values are omitted: a property is present with a value of its type,
// or absent. null never appears.
package contracts

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Name names a contract: a schema and its major version.
type Name string

// The contracts. A breaking change is a new Name with its own file; a published
// version is never changed incompatibly.
const (
	MovieRecordV1 Name = "movie-record.v1"
	MovieV1       Name = "movie.v1"
	ErrorRecordV1 Name = "error-record.v1"
)

// Names lists every contract, in a stable order.
func Names() []Name { return []Name{MovieRecordV1, MovieV1, ErrorRecordV1} }

// baseURL is the $id prefix of every schema file.
const baseURL = "https://schemas.moviepipe.dev/"

//go:embed schemas/*.json
var files embed.FS

// ErrUnknownContract is returned for a Name that has no schema.
var ErrUnknownContract = errors.New("unknown contract")

// ErrNotJSON is returned by Validate when the document is not a single JSON
// value. Such a document can never become valid: callers park it as undecodable.
var ErrNotJSON = errors.New("not a JSON document")

// Violation is one way in which a document breaks its contract.
type Violation struct {
	// InstancePath is a JSON Pointer (RFC 6901) to the offending value; "" is
	// the document itself.
	InstancePath string `json:"instancePath"`
	// Keyword is the schema keyword that failed: required, pattern, maximum, …
	Keyword string `json:"keyword"`
	// Message says what is wrong, in words a person can act on.
	Message string `json:"message"`
}

func (v Violation) String() string {
	path := v.InstancePath
	if path == "" {
		path = "(record)"
	}
	return fmt.Sprintf("%s: %s", path, v.Message)
}

// ValidationError reports every violation of one contract by one document.
type ValidationError struct {
	Contract   Name
	Violations []Violation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s", e.Contract)
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

var compiled = sync.OnceValues(compileAll)

// plans holds the fast path of each contract that has one (see fast.go).
var plans = sync.OnceValue(func() map[Name]*plan {
	out := map[Name]*plan{}
	for _, n := range Names() {
		if p, err := compilePlan(n); err == nil {
			out[n] = p
		}
	}
	return out
})

func compileAll() (map[Name]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("contracts: refusing to load %s: every schema is embedded", u)
	}
	for _, n := range Names() {
		data, err := files.ReadFile("schemas/" + string(n) + ".json")
		if err != nil {
			return nil, err
		}
		if err := c.AddResource(baseURL+string(n)+".json", bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("add schema %s: %w", n, err)
		}
	}
	out := make(map[Name]*jsonschema.Schema, len(Names()))
	for _, n := range Names() {
		s, err := c.Compile(baseURL + string(n) + ".json")
		if err != nil {
			return nil, fmt.Errorf("compile schema %s: %w", n, err)
		}
		out[n] = s
	}
	return out, nil
}

// Schema returns the raw JSON Schema document of a contract.
func Schema(n Name) ([]byte, error) {
	data, err := files.ReadFile("schemas/" + string(n) + ".json")
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownContract, n)
	}
	return data, nil
}

// Validate checks that doc is one JSON value that satisfies contract n.
//
// It returns nil when doc is valid; an error wrapping ErrNotJSON when doc is not
// JSON; a *ValidationError listing every violation when doc breaks the
// contract; and an error wrapping ErrUnknownContract for an unknown n. The
// schemas are compiled once, on first use. A document the fast path of
// fast.go certainly accepts is not decoded at all.
func Validate(n Name, doc []byte) error {
	if p := plans()[n]; p != nil && p.accepts(doc) {
		return nil
	}
	return validateFull(n, doc)
}

// Member is where one member of a JSON object sits in its document: its
// name, and its value's JSON text doc[Start:End].
type Member struct {
	Name       string
	Start, End int
	// Text reports that the value is a string whose contents,
	// doc[Start+1:End-1], are its text: valid UTF-8 with no escapes.
	Text bool
}

// ValidateMembers is Validate for documents that are JSON objects. When doc
// is valid it also appends the object's members to dst, in document order,
// and returns dst, so that a reader of a valid document need not scan it
// again. A name given twice is listed twice: the later value is the one
// jsonschema checked and encoding/json keeps. A valid doc that is not an
// object has no members. The errors are Validate's.
func ValidateMembers(n Name, doc []byte, dst []Member) ([]Member, error) {
	if p := plans()[n]; p != nil {
		sc := scanner{s: doc, members: dst, record: true}
		if sc.accepts(p) {
			return sc.members, nil
		}
	}
	if err := validateFull(n, doc); err != nil {
		return dst, err
	}
	return appendMembers(dst, doc), nil
}

// appendMembers appends the members of doc, a JSON document, to dst, as
// encoding/json reads them: for the documents the fast path leaves to
// jsonschema.
func appendMembers(dst []Member, doc []byte) []Member {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return dst
	}
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		var raw json.RawMessage
		if err != nil || !ok || dec.Decode(&raw) != nil {
			return dst // not JSON: Validate has said so already
		}
		end := int(dec.InputOffset())
		text := len(raw) > 0 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw)
		dst = append(dst, Member{Name: name, Start: end - len(raw), End: end, Text: text})
	}
	return dst
}

// validateFull is Validate without the fast path.
func validateFull(n Name, doc []byte) error {
	schemas, err := compiled()
	if err != nil {
		return err
	}
	s, ok := schemas[n]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownContract, n)
	}
	v, err := decode(doc)
	if err != nil {
		return err
	}
	err = s.Validate(v)
	if ve, ok := errors.AsType[*jsonschema.ValidationError](err); ok {
		return &ValidationError{Contract: n, Violations: violations(ve)}
	}
	return err
}

func decode(doc []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the first value", ErrNotJSON)
	}
	return v, nil
}

// violations flattens the validator's tree into its leaves: the failures a
// person can act on, without the "does not validate with $ref" wrappers.
func violations(root *jsonschema.ValidationError) []Violation {
	var out []Violation
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, Violation{
				InstancePath: e.InstanceLocation,
				Keyword:      keyword(e.KeywordLocation),
				Message:      e.Message,
			})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(root)
	// The validator visits properties in map order: sort for stable output.
	slices.SortFunc(out, func(a, b Violation) int {
		return cmp.Or(strings.Compare(a.InstancePath, b.InstancePath), strings.Compare(a.Keyword, b.Keyword), strings.Compare(a.Message, b.Message))
	})
	return out
}

func keyword(location string) string {
	return location[strings.LastIndexByte(location, '/')+1:]
}
