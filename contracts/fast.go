package contracts

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/bits"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The fast path. Validating a record with jsonschema costs about 100 µs and
// 500 allocations, mostly to decode it into maps first; a stream processor
// sees a thousand records a second on a small share of a core. So each schema
// is also compiled into a plan that checks a document in one pass over its
// bytes, and Validate trusts the plan only when it says "valid": a plan that
// rejects, or meets something it does not handle exactly as jsonschema does
// (a 57.0 for an integer, a value on a fractional bound, a lone surrogate,
// a duplicate key, invalid UTF-8), hands the document to jsonschema, which
// decides and names the violations. So the plan may be stricter than the
// schema, never looser; FuzzFastPathNeverAcceptsMore holds it to that.
//
// A schema that uses a keyword the plan does not know gets no plan at all.

// errNoPlan is returned by compilePlan for a schema the fast path does not
// cover.
var errNoPlan = errors.New("no fast plan")

// JSON types as a set.
const (
	tNull = 1 << iota
	tBoolean
	tObject
	tArray
	tString
	tInteger // an integer written without fraction or exponent
	tNumber
)

// plan is one schema (or subschema), its keywords resolved and merged.
type plan struct {
	types uint8 // 0: any type

	konst *string  // const, a string
	enum  []string // enum, of strings

	// objects
	props     map[string]int // property name → index in propPlan
	propPlan  []*plan
	propNames []string // index → property name
	// after[k] is the index of the property that followed property k-1 (the
	// first, for k = 0) in the last object read: producers write their keys
	// in one order, so a guess checked against propNames mostly spares a
	// lookup in props.
	after         []atomic.Int32
	required      uint64   // bit i: propPlan[i] is required
	requiredNames []string // required, until finish turns it into bits
	closed        bool     // additionalProperties: false
	objectFromRef bool     // the $ref target has object keywords: no more allowed

	// strings
	minLen, maxLen int                 // -1: none
	checks         []func([]byte) bool // patterns, and formats checked here
	costly         []func([]byte) bool // other formats
	// memo remembers a string that passed the costly checks, or the
	// patterns of a long one (rememberFrom). The records of one page share
	// their run id, source URL, scrape time and trace header, so a batch
	// checks each of them about once.
	memo *memo // set by finish

	// numbers
	min, max *bound

	// arrays
	items              *plan
	minItems, maxItems int // -1: none
	unique             bool
}

// bound is a minimum or maximum.
type bound struct {
	isInt bool
	i     int64
	f     float64
}

// annotations are keywords that do not constrain a document.
var annotations = map[string]bool{
	"$schema": true, "$defs": true, "$comment": true,
	"title": true, "description": true, "examples": true, "default": true,
	"deprecated": true, "readOnly": true, "writeOnly": true,
}

// compilePlan builds the plan of contract n from the embedded schema files.
func compilePlan(n Name) (*plan, error) {
	c := planCompiler{docs: map[string]map[string]any{}}
	doc, err := c.doc(string(n) + ".json")
	if err != nil {
		return nil, err
	}
	p, err := c.compile(string(n)+".json", doc, 0)
	if err != nil {
		return nil, err
	}
	return p, finish(p, map[*plan]bool{})
}

type planCompiler struct {
	docs map[string]map[string]any // file name → its schema
}

func (c planCompiler) doc(file string) (map[string]any, error) {
	if d, ok := c.docs[file]; ok {
		return d, nil
	}
	data, err := files.ReadFile("schemas/" + file)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", errNoPlan, file)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	c.docs[file] = v
	return v, nil
}

// pointerToken unescapes a JSON Pointer token (RFC 6901).
var pointerToken = strings.NewReplacer("~1", "/", "~0", "~")

// resolve finds the schema a $ref names, relative to file: "other.json",
// "#/json/pointer" or both.
func (c planCompiler) resolve(file, ref string) (string, map[string]any, error) {
	target, pointer, _ := strings.Cut(ref, "#")
	if target != "" {
		file = strings.TrimPrefix(target, baseURL)
	}
	if strings.Contains(file, "/") {
		return "", nil, fmt.Errorf("%w: $ref %q", errNoPlan, ref)
	}
	var cur any
	cur, err := c.doc(file)
	if err != nil {
		return "", nil, err
	}
	for _, tok := range strings.Split(pointer, "/")[1:] {
		tok = pointerToken.Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return "", nil, fmt.Errorf("%w: $ref %q", errNoPlan, ref)
		}
		cur = m[tok]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return "", nil, fmt.Errorf("%w: $ref %q", errNoPlan, ref)
	}
	return file, m, nil
}

func (c planCompiler) compile(file string, s map[string]any, depth int) (*plan, error) {
	if depth > 32 {
		return nil, fmt.Errorf("%w: $ref nests too deep", errNoPlan)
	}
	p := &plan{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}
	if ref, ok := s["$ref"].(string); ok {
		f, target, err := c.resolve(file, ref)
		if err != nil {
			return nil, err
		}
		base, err := c.compile(f, target, depth+1)
		if err != nil {
			return nil, err
		}
		*p = *base
		p.objectFromRef = base.props != nil || base.closed || len(base.requiredNames) > 0
		p.requiredNames = slices.Clip(p.requiredNames)
		p.checks, p.costly = slices.Clip(p.checks), slices.Clip(p.costly)
	}
	for k, v := range s {
		if annotations[k] || k == "$ref" {
			continue
		}
		if k == "$id" && v == baseURL+file {
			continue // a file's own id; another would change how $refs below resolve
		}
		if err := c.keyword(p, file, k, v, depth); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// keyword adds one keyword to p. A keyword that the $ref target sets too is
// refused rather than merged.
func (c planCompiler) keyword(p *plan, file, k string, v any, depth int) error {
	unsupported := fmt.Errorf("%w: keyword %q = %v", errNoPlan, k, v)
	switch k {
	case "type":
		t, ok := v.(string)
		bit := map[string]uint8{"null": tNull, "boolean": tBoolean, "object": tObject, "array": tArray,
			"string": tString, "integer": tInteger, "number": tNumber | tInteger}[t]
		if !ok || bit == 0 || p.types != 0 {
			return unsupported
		}
		p.types = bit
	case "const":
		s, ok := v.(string)
		if !ok || p.konst != nil {
			return unsupported
		}
		p.konst = &s
	case "enum":
		list, ok := v.([]any)
		if !ok || p.enum != nil {
			return unsupported
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return unsupported
			}
			p.enum = append(p.enum, s)
		}
	case "properties":
		props, ok := v.(map[string]any)
		if !ok || p.props != nil || p.objectFromRef || len(props) > 64 {
			return unsupported
		}
		p.props = map[string]int{}
		for name, sub := range props {
			m, ok := sub.(map[string]any)
			if !ok {
				return unsupported
			}
			sp, err := c.compile(file, m, depth+1)
			if err != nil {
				return err
			}
			p.props[name] = len(p.propPlan)
			p.propPlan = append(p.propPlan, sp)
			p.propNames = append(p.propNames, name)
		}
	case "additionalProperties":
		if b, ok := v.(bool); !ok || b || p.objectFromRef {
			return unsupported // only false is planned
		}
		p.closed = true
	case "required":
		list, ok := v.([]any)
		if !ok || p.objectFromRef {
			return unsupported
		}
		for _, r := range list {
			name, ok := r.(string)
			if !ok {
				return unsupported
			}
			p.requiredNames = append(p.requiredNames, name) // bits in finish
		}
	case "minLength", "maxLength", "minItems", "maxItems":
		n, ok := count(v)
		dst := map[string]*int{"minLength": &p.minLen, "maxLength": &p.maxLen, "minItems": &p.minItems, "maxItems": &p.maxItems}[k]
		if !ok || *dst != -1 {
			return unsupported
		}
		*dst = n
	case "pattern":
		s, ok := v.(string)
		if !ok {
			return unsupported
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return unsupported
		}
		// Tables are built at first use; nearly every pattern gets one (not
		// those with line or word boundaries).
		p.checks = append(p.checks, newPattern(re).match)
	case "format":
		s, ok := v.(string)
		f := jsonschema.Formats[s]
		switch {
		case !ok || f == nil:
			return unsupported
		case s == "date":
			p.checks = append(p.checks, isDate)
		default:
			p.costly = append(p.costly, func(b []byte) bool { return f(string(b)) })
		}
	case "minimum", "maximum":
		num, ok := v.(json.Number)
		if !ok {
			return unsupported
		}
		b := &bound{}
		if i, err := strconv.ParseInt(string(num), 10, 64); err == nil {
			b.isInt, b.i, b.f = true, i, float64(i)
		} else if b.f, err = strconv.ParseFloat(string(num), 64); err != nil {
			return unsupported
		}
		dst := &p.min
		if k == "maximum" {
			dst = &p.max
		}
		if *dst != nil {
			return unsupported
		}
		*dst = b
	case "items":
		m, ok := v.(map[string]any)
		if !ok || p.items != nil {
			return unsupported
		}
		sp, err := c.compile(file, m, depth+1)
		if err != nil {
			return err
		}
		p.items = sp
	case "uniqueItems":
		b, ok := v.(bool)
		if !ok {
			return unsupported
		}
		p.unique = p.unique || b
	default:
		return unsupported
	}
	return nil
}

// finish resolves the required names of p and its subplans into bits. A
// required property without a schema of its own makes the plan unsupported.
func finish(p *plan, seen map[*plan]bool) error {
	if p == nil || seen[p] {
		return nil
	}
	seen[p] = true
	p.memo = new(memo)
	p.after = make([]atomic.Int32, len(p.propPlan)+1)
	for _, name := range p.requiredNames {
		i, ok := p.props[name]
		if !ok {
			return fmt.Errorf("%w: required %q has no schema", errNoPlan, name)
		}
		p.required |= 1 << i
	}
	for _, sp := range p.propPlan {
		if err := finish(sp, seen); err != nil {
			return err
		}
	}
	return finish(p.items, seen)
}

func count(v any) (int, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(num))
	return n, err == nil && n >= 0
}

// accepts reports whether doc is certainly one JSON value valid against p.
// false means "not certain": jsonschema decides.
func (p *plan) accepts(doc []byte) bool {
	sc := scanner{s: doc}
	return sc.accepts(p)
}

// accepts reports whether the scanner's document is certainly one JSON value
// valid against p.
func (sc *scanner) accepts(p *plan) bool {
	sc.space()
	if !sc.value(p, 0) {
		return false
	}
	sc.space()
	return sc.i == len(sc.s)
}

// scanner reads one JSON document strictly (RFC 8259), checking each value
// against its plan as it goes.
type scanner struct {
	s []byte
	i int

	// With record set, the members of the top-level object are appended to
	// members as they are read.
	record  bool
	members []Member
	plain   bool // the last string read had no escapes
}

const maxDepth = 64

func (sc *scanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) value(p *plan, depth int) bool {
	if sc.i >= len(sc.s) || depth > maxDepth {
		return false
	}
	switch c := sc.s[sc.i]; {
	case c == '{':
		return p.allows(tObject) && sc.object(p, depth)
	case c == '[':
		return p.allows(tArray) && sc.array(p, depth)
	case c == '"':
		s, ok := sc.str()
		return ok && p.allows(tString) && p.checkString(s)
	case c == 't':
		return p.allows(tBoolean) && sc.literal("true") && p.konst == nil && p.enum == nil
	case c == 'f':
		return p.allows(tBoolean) && sc.literal("false") && p.konst == nil && p.enum == nil
	case c == 'n':
		return p.allows(tNull) && sc.literal("null") && p.konst == nil && p.enum == nil
	case c == '-' || c >= '0' && c <= '9':
		return sc.number(p)
	}
	return false
}

func (p *plan) allows(t uint8) bool { return p.types == 0 || p.types&t != 0 }

func (sc *scanner) literal(word string) bool {
	if !bytes.HasPrefix(sc.s[sc.i:], []byte(word)) {
		return false
	}
	sc.i += len(word)
	return true
}

func (sc *scanner) object(p *plan, depth int) bool {
	if p.konst != nil || p.enum != nil {
		return false
	}
	sc.i++ // {
	var seen uint64
	prev := -1 // the index of the last known key read, -1 before the first
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == '}' {
		sc.i++
		return p.required == 0
	}
	for {
		sc.space()
		if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
			return false
		}
		key, ok := sc.str()
		if !ok {
			return false
		}
		sc.space()
		if sc.i >= len(sc.s) || sc.s[sc.i] != ':' {
			return false
		}
		sc.i++
		sc.space()
		idx, known := p.property(key, prev)
		start := sc.i
		switch {
		case known:
			if seen&(1<<idx) != 0 {
				return false // a duplicate key: jsonschema sees only the last value
			}
			seen |= 1 << idx
			prev = idx
			if !sc.value(p.propPlan[idx], depth+1) {
				return false
			}
		case p.closed:
			return false
		default:
			if !sc.value(&anyPlan, depth+1) {
				return false
			}
		}
		if sc.record && depth == 0 {
			sc.member(p, idx, known, key, start)
		}
		sc.space()
		if sc.i >= len(sc.s) {
			return false
		}
		switch sc.s[sc.i] {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return seen&p.required == p.required
		default:
			return false
		}
	}
}

// member appends the member just read, whose value began at start.
func (sc *scanner) member(p *plan, idx int, known bool, key []byte, start int) {
	m := Member{Start: start, End: sc.i, Text: sc.s[start] == '"' && sc.plain}
	if known {
		m.Name = p.propNames[idx]
	} else {
		m.Name = string(key)
	}
	sc.members = append(sc.members, m)
}

// property is the index of the property named key, which follows the one
// with index prev, and whether the plan has such a property.
func (p *plan) property(key []byte, prev int) (int, bool) {
	if len(p.propNames) == 0 {
		return 0, false
	}
	after := &p.after[prev+1]
	if guess := int(after.Load()); guess < len(p.propNames) && p.propNames[guess] == string(key) {
		return guess, true
	}
	idx, known := p.props[string(key)]
	if known {
		after.Store(int32(idx))
	}
	return idx, known
}

// anyPlan accepts any JSON value.
var anyPlan = plan{minLen: -1, maxLen: -1, minItems: -1, maxItems: -1}

func (sc *scanner) array(p *plan, depth int) bool {
	if p.konst != nil || p.enum != nil {
		return false
	}
	items := p.items
	if items == nil {
		items = &anyPlan
	}
	if p.unique && items.types != tString {
		return false // equality of other values is left to jsonschema
	}
	sc.i++ // [
	n, start := 0, sc.i
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == ']' {
		sc.i++
	} else {
		for {
			sc.space()
			if !sc.value(items, depth+1) {
				return false
			}
			n++
			sc.space()
			if sc.i >= len(sc.s) {
				return false
			}
			if sc.s[sc.i] == ']' {
				sc.i++
				break
			}
			if sc.s[sc.i] != ',' {
				return false
			}
			sc.i++
		}
	}
	if p.minItems >= 0 && n < p.minItems || p.maxItems >= 0 && n > p.maxItems {
		return false
	}
	if p.unique && n > 1 {
		return uniqueStrings(sc.s[start:sc.i-1], n)
	}
	return true
}

// uniqueStrings reports whether the n strings of a JSON array's inside are
// distinct. They are read again, n being small (a schema's maxItems).
func uniqueStrings(inside []byte, n int) bool {
	if n > 64 {
		return false
	}
	var vals [64][]byte
	sc := scanner{s: inside}
	for k := range n {
		sc.space()
		v, ok := sc.str()
		if !ok {
			return false
		}
		for _, prev := range vals[:k] {
			if bytes.Equal(prev, v) {
				return false
			}
		}
		vals[k] = v
		sc.space()
		sc.i++ // ,
	}
	return true
}

// str reads a JSON string and returns its value: a slice of the document
// when it has no escapes. ok is false for anything not certainly read as
// encoding/json reads it.
func (sc *scanner) str() ([]byte, bool) {
	start := sc.i + 1 // after the "
	i, ascii := start, true
	// Eight bytes at a time while none of them ends the string, starts an
	// escape or is a control character.
	for ; i+8 <= len(sc.s); i += 8 {
		w := binary.LittleEndian.Uint64(sc.s[i:])
		if sp := special(w); sp != 0 {
			// Go straight to the first marked byte: the bytes before it are
			// plain.
			n := bits.TrailingZeros64(sp) / 8
			ascii = ascii && w&highBits&(1<<(8*n)-1) == 0
			i += n
			break
		}
		ascii = ascii && w&highBits == 0
	}
	for ; i < len(sc.s); i++ {
		switch c := sc.s[i]; {
		case c == '"':
			v := sc.s[start:i]
			sc.i, sc.plain = i+1, true
			return v, ascii || utf8.Valid(v)
		case c == '\\':
			sc.i, sc.plain = i, false
			return sc.escaped(start)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// special has the high bit of a byte of w set where that byte is a quote,
// a backslash or a control character (and maybe on bytes after such a one:
// only the first marked byte is certain).
func special(w uint64) uint64 {
	below := func(x uint64, n byte) uint64 { return (x - lowBits*uint64(n)) &^ x & highBits } // bytes < n
	return below(w^(lowBits*'"'), 1) | below(w^(lowBits*'\\'), 1) | below(w, 0x20)
}

// escaped reads the rest of a string that holds escapes, from start.
func (sc *scanner) escaped(start int) ([]byte, bool) {
	var b bytes.Buffer
	b.Write(sc.s[start:sc.i])
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			sc.i++
			return b.Bytes(), utf8.Valid(b.Bytes())
		case c < 0x20:
			return nil, false
		case c != '\\':
			b.WriteByte(c)
			sc.i++
			continue
		}
		if sc.i+1 >= len(sc.s) {
			return nil, false
		}
		e := sc.s[sc.i+1]
		sc.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := sc.hex4()
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				// Only a well-formed pair; encoding/json turns the rest into U+FFFD.
				if !bytes.HasPrefix(sc.s[sc.i:], []byte(`\u`)) {
					return nil, false
				}
				sc.i += 2
				lo, ok := sc.hex4()
				if r = utf16.DecodeRune(r, lo); !ok || r == utf8.RuneError {
					return nil, false
				}
			}
			b.WriteRune(r)
		default:
			return nil, false
		}
	}
	return nil, false
}

func (sc *scanner) hex4() (rune, bool) {
	if sc.i+4 > len(sc.s) {
		return 0, false
	}
	var r rune
	for _, c := range sc.s[sc.i : sc.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	sc.i += 4
	return r, true
}

func (p *plan) checkString(s []byte) bool {
	if p.konst != nil && string(s) != *p.konst {
		return false
	}
	if p.enum != nil && !contains(p.enum, s) {
		return false
	}
	// s holds between len(s)/4 and len(s) runes: count them only when that
	// range reaches past a bound.
	if p.maxLen >= 0 && len(s) > p.maxLen || p.minLen >= 0 && (len(s)+3)/4 < p.minLen {
		n := utf8.RuneCount(s)
		if p.minLen >= 0 && n < p.minLen || p.maxLen >= 0 && n > p.maxLen {
			return false
		}
	}
	remember := len(p.costly) > 0 || len(p.checks) > 0 && len(s) >= rememberFrom
	if remember && p.memo.holds(s) {
		return true
	}
	for _, check := range p.checks {
		if !check(s) {
			return false
		}
	}
	for _, check := range p.costly {
		if !check(s) {
			return false
		}
	}
	if remember {
		p.memo.passed(s)
	}
	return true
}

// rememberFrom is the length from which a string's patterns cost more than
// comparing it with the one remembered.
const rememberFrom = 32

// memo is the last string that passed a plan's string checks, among those
// that were worth remembering. A string is remembered the second time in a
// row it passes, so that one that never repeats, such as a movie id, is
// never copied.
type memo struct {
	last atomic.Pointer[string]
	seen atomic.Uint64 // the fingerprint of the last string that passed
}

var memoSeed = maphash.MakeSeed()

// holds reports whether s is the string remembered.
func (m *memo) holds(s []byte) bool {
	last := m.last.Load()
	return last != nil && *last == string(s)
}

// passed notes that s passed the checks, and remembers it if the string
// before it was the same.
func (m *memo) passed(s []byte) {
	fp := maphash.Bytes(memoSeed, s)
	if m.seen.Swap(fp) == fp {
		v := string(s)
		m.last.Store(&v)
	}
}

// isDate is jsonschema's "date" format, an RFC 3339 full-date as time.Parse
// reads "2006-01-02", without making a string of s.
func isDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	num := func(b []byte) int {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(s[:4]), num(s[5:7]), num(s[8:])
	if year < 0 || month < 1 || month > 12 || day < 1 {
		return false
	}
	// The day after the last of the month normalises to the next month.
	return day <= time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func contains(list []string, s []byte) bool {
	for _, v := range list {
		if v == string(s) {
			return true
		}
	}
	return false
}

// number reads a JSON number and checks it against p. An integer written
// plainly is compared exactly; any other number only when it lies strictly
// inside the bounds as a float64, which rounding cannot make untrue.
func (sc *scanner) number(p *plan) bool {
	start := sc.i
	if sc.s[sc.i] == '-' {
		sc.i++
	}
	intStart := sc.i
	if !sc.digits() || sc.s[intStart] == '0' && sc.i-intStart > 1 {
		return false // no digits, or a leading zero
	}
	plain := true
	if sc.i < len(sc.s) && sc.s[sc.i] == '.' {
		sc.i++
		if !sc.digits() {
			return false
		}
		plain = false
	}
	if sc.i < len(sc.s) && (sc.s[sc.i] == 'e' || sc.s[sc.i] == 'E') {
		sc.i++
		if sc.i < len(sc.s) && (sc.s[sc.i] == '+' || sc.s[sc.i] == '-') {
			sc.i++
		}
		if !sc.digits() {
			return false
		}
		plain = false
	}
	lit := sc.s[start:sc.i]
	if p.konst != nil || p.enum != nil {
		return false
	}
	if plain {
		i, ok := parseInt(lit)
		if !ok || !p.allows(tInteger) {
			return false
		}
		return p.min.belowInt(i) && p.max.aboveInt(i)
	}
	if p.types != 0 && p.types&tNumber == 0 {
		return false // maybe integral (57.0): jsonschema decides
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil || math.IsInf(f, 0) {
		return false
	}
	return (p.min == nil || f > p.min.f) && (p.max == nil || f < p.max.f)
}

// parseInt reads an integer written plainly (an optional minus and digits)
// of up to 18 digits, which int64 always holds; ok is false for longer ones.
func parseInt(lit []byte) (n int64, ok bool) {
	digits := bytes.TrimPrefix(lit, []byte("-"))
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	for _, c := range digits {
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(lit) {
		n = -n
	}
	return n, true
}

// digits reads one or more digits.
func (sc *scanner) digits() bool {
	start := sc.i
	for sc.i < len(sc.s) && sc.s[sc.i] >= '0' && sc.s[sc.i] <= '9' {
		sc.i++
	}
	return sc.i > start
}

func (b *bound) belowInt(i int64) bool { // b ≤ i
	switch {
	case b == nil:
		return true
	case b.isInt:
		return b.i <= i
	}
	return b.f < float64(i) && math.Abs(float64(i)) < 1<<53
}

func (b *bound) aboveInt(i int64) bool { // i ≤ b
	switch {
	case b == nil:
		return true
	case b.isInt:
		return i <= b.i
	}
	return float64(i) < b.f && math.Abs(float64(i)) < 1<<53
}
