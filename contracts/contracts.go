// Package contracts holds the JSON Schemas that the moviepipe services share,
// and validates documents against them.
//
// The schemas are data, embedded from the schemas folder: movie-record.v1 (the
// record on the Kinesis stream), movie.v1 (the resource the query API
// returns), error-record.v1 (an entry of the error table) and run.v1 (a
// scrape run's status, GET /scrapes/{runId}). They are the only thing the
// services share; each service keeps its own Go types and proves them
// against the schemas in its tests.
//
// Unknown values are omitted: a property is present with a value of its type,
// or absent. null never appears. Every document is I-JSON (RFC 7493): UTF-8,
// no lone surrogates, no member name given twice. The golden examples are in
// the examples package.
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

	"github.com/go-json-experiment/json/jsontext"
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
	RunV1         Name = "run.v1"
)

// Names lists every contract, in a stable order.
func Names() []Name { return []Name{MovieRecordV1, MovieV1, ErrorRecordV1, RunV1} }

// baseURL is the $id prefix of every schema file.
const baseURL = "https://schemas.moviepipe.dev/"

//go:embed schemas/*.json
var files embed.FS

// ErrUnknownContract is returned for a Name that has no schema.
var ErrUnknownContract = errors.New("unknown contract")

// ErrNotJSON is returned by Validate when the document is not a single I-JSON
// value (RFC 7493). Such a document can never become valid: callers park it
// as undecodable.
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

// Member is the document's top-level member a violation is in ("" for the
// document itself): what a producer drops or fixes.
func (v Violation) Member() string {
	m, _, _ := strings.Cut(strings.TrimPrefix(v.InstancePath, "/"), "/")
	return m
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

// Validate checks that doc is one I-JSON value (RFC 7493) that satisfies
// contract n.
//
// It returns nil when doc is valid; an error wrapping ErrNotJSON when doc is
// not one I-JSON value (not JSON, invalid UTF-8, an escaped lone surrogate, a
// member name given twice, data after the value); a *ValidationError listing
// every violation when doc breaks the contract; and an error wrapping
// ErrUnknownContract for an unknown n. The schemas are compiled once, on
// first use, and are safe to use from many goroutines.
func Validate(n Name, doc []byte) error {
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

// decode reads doc for jsonschema, after checking that it is I-JSON:
// encoding/json would replace invalid UTF-8 and lone surrogates with U+FFFD
// and keep the last of two members of one name, so that what is validated
// would not be what another reader of the same bytes sees.
func decode(doc []byte) (any, error) {
	if err := checkIJSON(doc); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotJSON, strings.TrimPrefix(err.Error(), "jsontext: "))
	}
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	return v, nil
}

// checkIJSON reads doc as one I-JSON value, with the strict defaults of
// encoding/json/v2's jsontext, and says what is wrong with it.
func checkIJSON(doc []byte) error {
	d := jsontext.NewDecoder(bytes.NewReader(doc))
	if _, err := d.ReadValue(); err != nil {
		return err
	}
	if _, err := d.ReadToken(); !errors.Is(err, io.EOF) {
		return errors.New("data after the first value")
	}
	return nil
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
