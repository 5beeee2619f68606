package contracts

import (
	"encoding/binary"
	"regexp"
	"regexp/syntax"
	"slices"
	"sync"
	"unicode/utf8"
)

// dfa answers regexp.Match for ASCII strings with one table step per byte.
// Go's regexp runs the schemas' patterns with its backtracker (the movie id's
// is not one-pass), which made the id check alone cost about as much as the
// rest of a record's validation. The table is built at the pattern's first
// use, from the program the regexp is compiled to, so the two answer alike;
// TestDFAMatchesRegexp and FuzzDFA hold it to that.
type dfa struct {
	// class maps a byte to its class: ASCII bytes that every instruction
	// treats alike share one, and every other byte is the last class.
	class [256]uint8
	width int // classes
	// next is the table: a state is the offset of its row, and
	// next[state+class] the state after a byte of that class. Accepting
	// states (a match has been seen: Match is true) and the dead one lead
	// to themselves, and a non-ASCII byte to unsure, so the loop over a
	// string is one step per byte.
	next   []uint32
	start  uint32
	stop   uint32 // the first row of a state that has seen a match; unsure is last
	unsure uint32
	final  []bool // by row: the string ending here matches
	empty  bool   // the empty string matches
}

// pattern is a schema's pattern.
type pattern struct {
	re    *regexp.Regexp
	table func() *dfa // built at first use; nil when re cannot have one
}

func newPattern(re *regexp.Regexp) pattern {
	return pattern{re, sync.OnceValue(func() *dfa { return newDFA(re) })}
}

// match is re.Match(s), by the table when s is ASCII.
func (p pattern) match(s []byte) bool {
	if t := p.table(); t != nil {
		if matched, sure := t.match(s); sure {
			return matched
		}
	}
	return p.re.Match(s)
}

// maxStates bounds a table's size; a pattern that needs more keeps regexp.
const maxStates = 1024

// dead is the state from which nothing can match.
const dead = 0

// newDFA builds the table of re, or returns nil when re uses something the
// table does not model (line or word boundaries) or needs too many states.
func newDFA(re *regexp.Regexp) *dfa {
	parsed, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil
	}
	for _, in := range prog.Inst {
		if in.Op == syntax.InstEmptyWidth && syntax.EmptyOp(in.Arg)&^(syntax.EmptyBeginText|syntax.EmptyEndText) != 0 {
			return nil
		}
	}
	b := dfaBuilder{prog: prog, ids: map[string]int{}, d: &dfa{}, mark: make([]uint32, len(prog.Inst))}
	if !b.classes() {
		return nil
	}
	b.state(nil) // dead
	b.search = b.closure([]uint32{uint32(prog.Start)}, false)
	start := b.closure([]uint32{uint32(prog.Start)}, true)
	startID := b.state(start)
	for s := 0; s < len(b.sets); s++ { // the loop finds the states as it goes
		for c := range b.reps {
			id := b.state(b.closure(b.step(b.sets[s], b.reps[c]), false))
			if id < 0 {
				return nil
			}
			b.trans[s][c] = id
		}
	}
	return b.table(startID, b.accept[startID] || b.endClosure(start, true))
}

// table lays out the states found as the dfa's rows: first those that have
// not seen a match, then those that have, then one more for a string that is
// not ASCII, so that one comparison tells when the loop can stop.
func (b *dfaBuilder) table(start int, empty bool) *dfa {
	d := b.d
	d.width = len(b.reps) + 1
	for c := utf8.RuneSelf; c < 256; c++ {
		d.class[c] = uint8(len(b.reps))
	}
	rows := make([]uint32, len(b.sets)+1) // state → its row
	n := 0
	for _, accepting := range []bool{false, true} {
		for id := range b.sets {
			if b.accept[id] == accepting {
				rows[id] = uint32(n * d.width)
				n++
			}
		}
	}
	unsure := len(b.sets)
	rows[unsure] = uint32(n * d.width)
	d.next = make([]uint32, (n+1)*d.width)
	d.final = make([]bool, n+1)
	for id, trans := range b.trans {
		for c := range d.width {
			to := unsure // a non-ASCII byte
			switch {
			case b.accept[id] || id == dead:
				to = id
			case c < len(trans):
				to = trans[c]
			}
			d.next[int(rows[id])+c] = rows[to]
		}
		d.final[int(rows[id])/d.width] = b.accept[id] || b.atEnd[id]
	}
	for c := range d.width {
		d.next[int(rows[unsure])+c] = rows[unsure]
	}
	d.start, d.unsure, d.empty = rows[start], rows[unsure], empty
	d.stop = rows[unsure]
	for id := range b.sets {
		if b.accept[id] {
			d.stop = min(d.stop, rows[id])
		}
	}
	return d
}

// match reports whether s matches. sure is false when s is not ASCII and
// no match was found before its first non-ASCII byte.
func (d *dfa) match(s []byte) (matched, sure bool) {
	if len(s) == 0 {
		return d.empty, true
	}
	state := d.start
	for _, c := range s {
		if state = d.next[state+uint32(d.class[c])]; state >= d.stop {
			return state != d.unsure, state != d.unsure
		}
	}
	return d.final[state/uint32(d.width)], true
}

type dfaBuilder struct {
	prog   *syntax.Prog
	d      *dfa
	reps   []byte     // a byte of each ASCII class
	sets   [][]uint32 // state → the instructions it stands for
	ids    map[string]int
	trans  [][]int  // state → the state after a byte of each ASCII class
	accept []bool   // state → a match has been seen
	atEnd  []bool   // state → the string ending here completes a match
	search []uint32 // where a match may start after the first byte (the search is unanchored)

	accepts []*[2]uint64 // pc → the ASCII bytes its rune instruction accepts
	mark    []uint32     // pc → the walk that last visited it
	walk    uint32
	key     []byte
}

// classes splits the ASCII bytes by how every rune instruction treats them.
// It returns false when there are too many kinds of instruction to tell.
func (b *dfaBuilder) classes() bool {
	var kinds []*[2]uint64
	b.accepts = make([]*[2]uint64, len(b.prog.Inst))
	for pc := range b.prog.Inst {
		in := &b.prog.Inst[pc]
		if !isRune(in.Op) {
			continue
		}
		var set [2]uint64
		for c := range rune(utf8.RuneSelf) {
			if in.MatchRune(c) {
				set[c/64] |= 1 << (c % 64)
			}
		}
		k := slices.IndexFunc(kinds, func(s *[2]uint64) bool { return *s == set })
		if k < 0 {
			k, kinds = len(kinds), append(kinds, &set)
		}
		b.accepts[pc] = kinds[k]
	}
	if len(kinds) > 64 {
		return false
	}
	sig := make(map[uint64]uint8)
	for c := range byte(utf8.RuneSelf) {
		var in uint64 // bit k: kinds[k] accepts c
		for k, s := range kinds {
			in |= (s[c/64] >> (c % 64) & 1) << k
		}
		class, ok := sig[in]
		if !ok {
			class = uint8(len(b.reps))
			sig[in] = class
			b.reps = append(b.reps, c)
		}
		b.d.class[c] = class
	}
	return true
}

func isRune(op syntax.InstOp) bool {
	return op == syntax.InstRune || op == syntax.InstRune1 || op == syntax.InstRuneAny || op == syntax.InstRuneAnyNotNL
}

// visit reports whether pc is new to the current walk, and marks it.
func (b *dfaBuilder) visit(pc uint32) bool {
	if b.mark[pc] == b.walk {
		return false
	}
	b.mark[pc] = b.walk
	return true
}

// closure is the set of rune and match instructions reachable from pcs
// without reading a byte, plus the end-of-text assertions met on the way;
// atBegin tells whether the beginning-of-text assertion holds.
func (b *dfaBuilder) closure(pcs []uint32, atBegin bool) []uint32 {
	b.walk++
	var out []uint32
	stack := slices.Clone(pcs)
	if !atBegin {
		stack = append(stack, b.search...)
	}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !b.visit(pc) {
			continue
		}
		in := &b.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Arg, in.Out)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, in.Out)
		case syntax.InstEmptyWidth:
			switch op := syntax.EmptyOp(in.Arg); {
			case op&syntax.EmptyEndText != 0:
				out = append(out, pc) // holds only at the end: see atEnd
			case op&syntax.EmptyBeginText == 0 || atBegin:
				stack = append(stack, in.Out)
			}
		case syntax.InstFail:
		default: // rune and match instructions
			out = append(out, pc)
		}
	}
	slices.Sort(out)
	return out
}

// step is where the instructions of set go on reading c.
func (b *dfaBuilder) step(set []uint32, c byte) []uint32 {
	var out []uint32
	for _, pc := range set {
		if s := b.accepts[pc]; s != nil && s[c/64]>>(c%64)&1 != 0 {
			out = append(out, b.prog.Inst[pc].Out)
		}
	}
	return out
}

// endClosure reports whether the input ending after set completes a match:
// an end-of-text assertion in set leads to a match without reading a byte.
// atBegin tells whether the beginning-of-text assertion holds too.
func (b *dfaBuilder) endClosure(set []uint32, atBegin bool) bool {
	b.walk++
	var stack []uint32
	for _, pc := range set {
		if b.prog.Inst[pc].Op == syntax.InstEmptyWidth {
			stack = append(stack, b.prog.Inst[pc].Out)
		}
	}
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !b.visit(pc) {
			continue
		}
		switch in := &b.prog.Inst[pc]; in.Op {
		case syntax.InstMatch:
			return true
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Arg, in.Out)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, in.Out)
		case syntax.InstEmptyWidth:
			// Only beginning- and end-of-text assertions are planned, and the
			// end holds here.
			if syntax.EmptyOp(in.Arg)&syntax.EmptyBeginText == 0 || atBegin {
				stack = append(stack, in.Out)
			}
		}
	}
	return false
}

// state returns the id of set's state, adding it if new; -1 when there are
// too many. The first state added is the dead one, the empty set.
func (b *dfaBuilder) state(set []uint32) int {
	b.key = b.key[:0]
	for _, pc := range set {
		b.key = binary.AppendUvarint(b.key, uint64(pc))
	}
	if id, ok := b.ids[string(b.key)]; ok {
		return id
	}
	if len(b.sets) == maxStates {
		return -1
	}
	id := len(b.sets)
	b.ids[string(b.key)] = id
	b.sets = append(b.sets, set)
	accept := false
	for _, pc := range set {
		accept = accept || b.prog.Inst[pc].Op == syntax.InstMatch
	}
	b.accept = append(b.accept, accept)
	b.atEnd = append(b.atEnd, b.endClosure(set, false))
	b.trans = append(b.trans, make([]int, len(b.reps)))
	return id
}
