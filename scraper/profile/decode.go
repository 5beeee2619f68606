package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
)

// decode reads a profile's JSON with encoding/json, rejecting unknown keys
// and data after the profile. Each entry of "fields" is decoded on its own so
// that an error names its path ("fields.title.selector"); every entry's
// problems are reported, not only the first.
func decode(data []byte) (Profile, error) {
	var top struct {
		*Profile
		Fields map[string]json.RawMessage `json:"fields"` // shadows Profile.Fields
	}
	var p Profile
	top.Profile = &p
	if err := strictDecode(data, &top); err != nil {
		return p, err
	}
	var errs []error
	p.Fields = make(map[string]Field, len(top.Fields))
	for _, name := range slices.Sorted(maps.Keys(top.Fields)) {
		var f Field
		if err := strictDecode(top.Fields[name], &f); err != nil {
			errs = append(errs, fmt.Errorf("fields.%s: %w", name, err))
		}
		p.Fields[name] = f
	}
	return p, errors.Join(errs...)
}

// strictDecode decodes one JSON value into v and explains a failure in the
// profile's own words: the key at fault and what it should hold.
func strictDecode(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		if _, extra := d.Token(); extra != io.EOF {
			return errors.New("unexpected data after the profile's closing brace")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
	case errors.As(err, &typ):
		return fmt.Errorf("%s: got a JSON %s, want %s", typ.Field, typ.Value, kindOf(typ.Type))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("invalid JSON: the profile ends early: %w", err)
	}
	// encoding/json gives unknown keys no error type; its message names the key.
	return err
}

// kindOf names a Go type the way a profile's author sees it.
func kindOf(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "a list of " + kindOf(t.Elem())[2:] + "s"
	case reflect.Map:
		return "an object of fields"
	case reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// position turns a json.SyntaxError offset (the bytes read, the bad one
// included) into the bad byte's 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	before := data[:min(max(offset, 0), int64(len(data)))]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - 1 - bytes.LastIndexByte(before, '\n')
	return line, col
}
