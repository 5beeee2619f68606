package contracts

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"unicode/utf8"
)

// ErrorRecordLimits are error-record.v1's bounds on what an entry keeps,
// read from the schema itself, so that every stage that parks a record cuts
// it the same way, to what the contract accepts.
type ErrorRecordLimits struct {
	Message          int // message: bytes (maxLength counts characters; a byte is never more)
	Violations       int // validationErrors: items
	ViolationPath    int // validationErrors[].instancePath: bytes
	ViolationMessage int // validationErrors[].message: bytes
	// PayloadData is how many raw bytes are kept: the most whose base64
	// encoding fits payload's maxLength.
	PayloadData int
}

// ErrorRecordV1Limits are error-record.v1's limits.
var ErrorRecordV1Limits = sync.OnceValue(func() ErrorRecordLimits {
	raw, err := Schema(ErrorRecordV1)
	if err != nil {
		panic(err) // embedded: a build error
	}
	type bound struct {
		MaxLength int `json:"maxLength"`
		MaxItems  int `json:"maxItems"`
	}
	var s struct {
		Properties struct {
			Message          bound
			Payload          bound
			ValidationErrors struct {
				bound
				Items struct {
					Properties struct{ InstancePath, Message bound } `json:"properties"`
				} `json:"items"`
			} `json:"validationErrors"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		panic(fmt.Sprintf("error-record.v1: %v", err))
	}
	p := s.Properties
	l := ErrorRecordLimits{Message: p.Message.MaxLength, Violations: p.ValidationErrors.MaxItems,
		ViolationPath:    p.ValidationErrors.Items.Properties.InstancePath.MaxLength,
		ViolationMessage: p.ValidationErrors.Items.Properties.Message.MaxLength,
		PayloadData:      p.Payload.MaxLength / 4 * 3}
	if l.Message == 0 || l.Violations == 0 || l.ViolationPath == 0 || l.ViolationMessage == 0 || l.PayloadData == 0 {
		panic(fmt.Sprintf("error-record.v1 lacks a bound: %+v", l))
	}
	return l
})

// ErrorPayload is a raw record as an error record keeps it.
type ErrorPayload struct {
	Text      string
	Encoding  string // "utf8" or "base64"
	Bytes     int    // the whole record's size
	Truncated bool
}

// NewErrorPayload keeps the first PayloadData bytes of raw, never splitting
// a UTF-8 sequence, as text when they are UTF-8 and as base64 otherwise.
func NewErrorPayload(raw []byte) ErrorPayload {
	p := ErrorPayload{Bytes: len(raw), Encoding: "utf8"}
	cut := raw
	if n := ErrorRecordV1Limits().PayloadData; len(cut) > n {
		cut, p.Truncated = cut[:n], true
		// Text cut inside a rune stays text; binary data stays whole.
		for i := 1; i < utf8.UTFMax && !utf8.Valid(cut); i++ {
			if utf8.Valid(cut[:n-i]) {
				cut = cut[:n-i]
			}
		}
	}
	if utf8.Valid(cut) {
		p.Text = string(cut)
		return p
	}
	p.Encoding, p.Text = "base64", base64.StdEncoding.EncodeToString(cut)
	return p
}

// Clip shortens s to at most n bytes without splitting a rune.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := 0; i < utf8.UTFMax-1 && i < n; i++ { // back to the start of the rune at the cut
		if utf8.RuneStart(s[n-i]) {
			return s[:n-i]
		}
	}
	return s[:n]
}

// ErrorViolations are vs as an error record keeps them: the first
// Violations, their path and message clipped.
func ErrorViolations(vs []Violation) []Violation {
	l := ErrorRecordV1Limits()
	out := make([]Violation, 0, min(len(vs), l.Violations))
	for _, v := range vs[:min(len(vs), l.Violations)] {
		out = append(out, Violation{InstancePath: Clip(v.InstancePath, l.ViolationPath), Keyword: v.Keyword, Message: Clip(v.Message, l.ViolationMessage)})
	}
	return out
}
