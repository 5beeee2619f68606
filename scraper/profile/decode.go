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
// and data after the profile. Each entry of "fields", and each link, is
// decoded on its own so that an error names its path ("fields.title",
// "next"), which encoding/json does not give for an unknown key or a map
// entry; every entry's problems are reported, not only the first.
func decode(data []byte) (Profile, error) {
	var top struct {
		*Profile
		// These shadow Profile's own keys, decoded below.
		Fields map[string]json.RawMessage `json:"fields"`
		Next   json.RawMessage            `json:"next"`
		Detail json.RawMessage            `json:"detail"`
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
	for _, l := range []struct {
		key  string
		raw  json.RawMessage
		link **Link
	}{{"next", top.Next, &p.Next}, {"detail", top.Detail, &p.Detail}} {
		if l.raw == nil {
			continue
		}
		if err := strictDecode(l.raw, l.link); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.key, err))
		}
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
		err := fmt.Errorf("got a JSON %s, want %s", typ.Value, kindOf(typ.Type))
		if typ.Field != "" { // "": the value decoded is itself of the wrong type
			err = fmt.Errorf("%s: %w", typ.Field, err)
		}
		return err
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
