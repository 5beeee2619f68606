package contracts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The fast path is an optimisation: these tests hold it to jsonschema (it
// never accepts what jsonschema rejects) and to its purpose (it accepts the
// records the scraper publishes).

func TestEveryContractHasAPlan(t *testing.T) {
	for _, n := range Names() {
		if _, err := compilePlan(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestPlanRefusesKeywordsItDoesNotKnow(t *testing.T) {
	for _, schema := range []string{
		`{"oneOf": [{"type": "string"}]}`,
		`{"type": ["string", "null"]}`,
		`{"exclusiveMaximum": 3}`,
		`{"additionalProperties": {"type": "string"}}`,
		`{"const": 3}`,
		`{"enum": ["a", 1]}`,
		`{"format": "no-such-format"}`,
		`{"required": ["a"]}`,
		`{"$ref": "#/$defs/o", "$defs": {"o": {"properties": {"a": {}}}}, "properties": {"b": {}}}`,
		`{"properties": {"a": {"$id": "https://elsewhere.example/a.json", "type": "string"}}}`,
	} {
		var s map[string]any
		d := json.NewDecoder(strings.NewReader(schema))
		d.UseNumber()
		if err := d.Decode(&s); err != nil {
			t.Fatal(err)
		}
		c := planCompiler{docs: map[string]map[string]any{"t.json": s}}
		p, err := c.compile("t.json", s, 0)
		if err == nil {
			err = finish(p, map[*plan]bool{})
		}
		if err == nil {
			t.Errorf("%s: compiled a plan, want none", schema)
		}
	}
}

// deferred are valid examples that the plan leaves to jsonschema on purpose.
var deferred = map[string]string{
	"integral-float-rating.json": "an integer written 97.0",
}

func TestPlanAcceptsTheValidExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.json")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	record, movie := plans()[MovieRecordV1], plans()[MovieV1]
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if got, want := record.accepts(doc), deferred[name] == ""; got != want {
			t.Errorf("%s: accepts = %v, want %v", name, got, want)
		}
		// The same film as a movie.v1 resource.
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "schema")
		delete(m, "traceHeader")
		res, _ := json.Marshal(m)
		if !movie.accepts(res) {
			t.Errorf("%s as movie.v1: not accepted", name)
		}
	}
}

func TestPlanRejectsTheInvalidExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.json")
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if plans()[MovieRecordV1].accepts(doc) {
			t.Errorf("%s: accepted", filepath.Base(f))
		}
	}
}

const base = `{"schema":"movie-record.v1","id":"tt0111161","title":"T","sourceUrl":"http://s/","scrapedAt":"2026-11-26T09:30:00Z","runId":"r"`

func TestPlanEdgeCases(t *testing.T) {
	tests := []struct {
		name, tail string
		accepts    bool // false: jsonschema decides (the record may still be valid)
	}{
		{"plain", `}`, true},
		{"surrounding space", "}\n\t ", true},
		{"escaped ampersand", `,"director":"Tom \u0026 Jerry"}`, true},
		{"escaped quote and slash", `,"director":"a \"b\" \/ c"}`, true},
		{"surrogate pair", `,"director":"\ud83c\udfac"}`, true},
		{"lone surrogate", `,"director":"\ud83c x"}`, false},
		{"escaped control only", `,"director":"\n"}`, false}, // pattern \S
		{"vertical tab is not blank in RE2", `,"director":"\u000b"}`, true},
		{"no-break space is not blank in RE2", `,"director":"\u00a0"}`, true},
		{"raw control", ",\"director\":\"a\tb\"}", false},
		{"invalid utf-8", ",\"director\":\"a\xffb\"}", false},
		{"duplicate key", `,"runId":"r"}`, false},
		{"integral float", `,"year":1994.0}`, false},
		{"exponent", `,"year":1.994e3}`, false},
		{"leading zero", `,"year":01994}`, false},
		{"negative zero", `,"rottenTomatoesRating":-0}`, true},
		{"on the bounds", `,"year":1870,"rottenTomatoesRating":100,"imdbRating":10}`, true},
		{"fraction inside", `,"imdbRating":9.99}`, true},
		{"fraction on a bound", `,"imdbRating":10.0}`, false},
		{"just above", `,"imdbRating":10.000000000000000001}`, false},
		{"above", `,"year":2101}`, false},
		{"null", `,"director":null}`, false},
		{"unique genres", `,"genres":["a","b"]}`, true},
		{"repeated genre", `,"genres":["a","a"]}`, false},
		{"repeated genre, escaped", `,"genres":["a","\u0061"]}`, false},
		{"no genres", `,"genres":[]}`, false},
		{"unknown field", `,"x":1}`, false},
		{"trailing comma", `,}`, false},
		{"two documents", `}{}`, false},
		{"truncated", `,"director":"a`, false},
		{"bad escape", `,"director":"\x"}`, false},
		{"bad date", `,"releaseDate":"1994-02-30"}`, false},
		{"good date", `,"releaseDate":"1994-09-23"}`, true},
		// majorGenre is 1 to 64 characters; a character may take up to 4 bytes.
		{"64 characters", `,"majorGenre":"` + strings.Repeat("a", 64) + `"}`, true},
		{"65 characters", `,"majorGenre":"` + strings.Repeat("a", 65) + `"}`, false},
		{"33 two-byte characters", `,"majorGenre":"` + strings.Repeat("é", 33) + `"}`, true},
		{"64 two-byte characters", `,"majorGenre":"` + strings.Repeat("é", 64) + `"}`, true},
		{"65 two-byte characters", `,"majorGenre":"` + strings.Repeat("é", 65) + `"}`, false},
		{"one four-byte character", `,"majorGenre":"🎬"}`, true},
		{"no character", `,"majorGenre":""}`, false},
	}
	p := plans()[MovieRecordV1]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte(base + tt.tail)
			if got := p.accepts(doc); got != tt.accepts {
				t.Errorf("accepts = %v, want %v", got, tt.accepts)
			}
			if tt.accepts {
				if err := validateFull(MovieRecordV1, doc); err != nil {
					t.Errorf("jsonschema rejects what the plan accepts: %v", err)
				}
			}
		})
	}
}

// addExamples seeds f with every golden example, valid and invalid.
func addExamples(f *testing.F) {
	for _, dir := range []string{"testdata/valid", "testdata/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			doc, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(doc)
		}
	}
}

// FuzzFastPathNeverAcceptsMore checks, for every contract, that whatever the
// plan accepts jsonschema accepts too.
func FuzzFastPathNeverAcceptsMore(f *testing.F) {
	addExamples(f)
	f.Add([]byte(base + `,"genres":["a","\u00e9"],"imdbRating":9.5}`))
	f.Add([]byte(`{"schema":"error-record.v1","errorId":"process#s#1","stage":"process","reason":"internal","message":"m","payload":"","payloadEncoding":"utf8","payloadBytes":0,"occurredAt":"2026-11-26T09:30:00Z","validationErrors":[{"instancePath":"","keyword":"k","message":"m"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, n := range Names() {
			if plans()[n].accepts(doc) {
				if err := validateFull(n, doc); err != nil {
					t.Fatalf("%s: the plan accepts what jsonschema rejects: %v\n%q", n, err, doc)
				}
			}
		}
	})
}

// The plans remember the last value each string passed; validating from many
// goroutines must neither race nor let one record's value vouch for another's.
func TestValidateConcurrently(t *testing.T) {
	good := []byte(base + `,"traceHeader":"` + header + `1"}`)
	bad := []byte(base + `,"traceHeader":"` + header + `2"}`) // Sampled is 0 or 1
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				doc, wantValid := good, true
				if (g+i)%2 == 0 {
					doc, wantValid = bad, false
				}
				if err := Validate(MovieRecordV1, doc); (err == nil) != wantValid {
					t.Errorf("goroutine %d, round %d: err = %v, want valid %v", g, i, err, wantValid)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestIsDateIsJSONSchemasDate(t *testing.T) {
	date := jsonschema.Formats["date"]
	check := func(s string) {
		if got, want := isDate([]byte(s)), date(s); got != want {
			t.Errorf("%q: isDate = %v, jsonschema says %v", s, got, want)
		}
	}
	for _, year := range []int{0, 1, 1900, 1999, 2000, 2024, 2100, 9999} {
		for month := 0; month <= 13; month++ {
			for day := 0; day <= 32; day++ {
				check(fmt.Sprintf("%04d-%02d-%02d", year, month, day))
			}
		}
	}
	for _, s := range []string{"", "2024-1-01", "2024-01-1", "2024/01/01", "+024-01-01", "2024-0a-01", "2024-01-01 ", "20240-01-01", "-024-01-01"} {
		check(s)
	}
}

// FuzzValidateMembers checks that ValidateMembers agrees with Validate, and
// that the members the fast path lists are the ones encoding/json reads.
func FuzzValidateMembers(f *testing.F) {
	addExamples(f)
	f.Add([]byte(base + ` , "genres" : ["a","\u00e9"] ,"imdbRating":9.5} `))
	f.Fuzz(func(t *testing.T, doc []byte) {
		n := MovieRecordV1
		members, err := ValidateMembers(n, doc, nil)
		if want := Validate(n, doc); (err == nil) != (want == nil) {
			t.Fatalf("ValidateMembers says %v, Validate %v\n%q", err, want, doc)
		}
		if err != nil {
			return
		}
		if want := appendMembers(nil, doc); !slices.Equal(members, want) {
			t.Fatalf("members %+v\nencoding/json reads %+v\n%q", members, want, doc)
		}
	})
}

const header = "Root=1-6745a3c1-5e0c7a2b9d4f1e3a8c6b0d2e;Parent=53995c3f42cd8ad8;Sampled="

// A long string's patterns are remembered from the second time in a row it
// passes; a string that never repeats is never copied.
func TestMemo(t *testing.T) {
	record := plans()[MovieRecordV1]
	trace, id := record.propPlan[record.props["traceHeader"]].memo, record.propPlan[record.props["id"]].memo
	for _, m := range []*memo{trace, id} { // as other tests left them: forgotten
		m.last.Store(nil)
		m.seen.Store(0)
	}
	doc := func(id, sampled string) []byte {
		return []byte(`{"schema":"movie-record.v1","id":"` + id + `","title":"T","sourceUrl":"http://s/","scrapedAt":"2026-11-26T09:30:00Z","runId":"r","traceHeader":"` + header + sampled + `"}`)
	}
	ids := []string{"mv-the-shawshank-redemption-1994-1a2b3c4d", "mv-the-shawshank-redemption-1994-1a2b3c4e", "mv-the-shawshank-redemption-1994-1a2b3c4f"}
	for i, want := range []*string{nil, new(header + "1"), new(header + "1")} {
		if err := Validate(MovieRecordV1, doc(ids[i], "1")); err != nil {
			t.Fatal(err)
		}
		if got := trace.last.Load(); (got == nil) != (want == nil) || got != nil && *got != *want {
			t.Fatalf("after %d records the trace header's memo holds %v, want %v", i+1, got, want)
		}
	}
	if got := id.last.Load(); got != nil {
		t.Errorf("three distinct ids of %d bytes: the memo copied %q", len(ids[0]), *got)
	}
	// What is remembered vouches for nothing else.
	if Validate(MovieRecordV1, doc(ids[0], "2")) == nil {
		t.Error("an invalid trace header passed after a valid one was remembered")
	}
}
