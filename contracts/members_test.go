package contracts_test

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/moviepipe/moviepipe/contracts"
)

// checkMembers holds members to what encoding/json reads in doc, a valid
// object without duplicate names: one member per name, in document order,
// each value's text as encoding/json finds it, Text only where the contents
// are the string.
func checkMembers(t *testing.T, doc []byte, members []contracts.Member) {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil {
		t.Fatal(err)
	}
	if len(members) != len(obj) {
		t.Fatalf("%d members, encoding/json reads %d", len(members), len(obj))
	}
	end := 0
	for _, m := range members {
		raw, ok := obj[m.Name]
		if !ok {
			t.Fatalf("member %q is not in the document", m.Name)
		}
		if m.Start < end || m.End <= m.Start || m.End > len(doc) {
			t.Fatalf("member %q at [%d:%d] after byte %d: out of order or out of the document", m.Name, m.Start, m.End, end)
		}
		if got := doc[m.Start:m.End]; !bytes.Equal(got, raw) {
			t.Errorf("member %q is %s, encoding/json reads %s", m.Name, got, raw)
		}
		if m.Text {
			var s string
			text := doc[m.Start+1 : m.End-1]
			if json.Unmarshal(raw, &s) != nil || s != string(text) || bytes.IndexByte(text, '\\') >= 0 || !utf8.Valid(text) {
				t.Errorf("member %q is marked Text but its contents %q are not its string %q", m.Name, text, s)
			}
		}
		end = m.End
	}
}

func TestValidateMembersOfValidRecords(t *testing.T) {
	eachGolden(t, "valid", func(t *testing.T, _ string, doc []byte) {
		members, err := contracts.ValidateMembers(contracts.MovieRecordV1, doc, nil)
		if err != nil {
			t.Fatalf("want valid, got %v", err)
		}
		checkMembers(t, doc, members)
		// The examples have no escapes: every string is its contents.
		for _, m := range members {
			if plain := doc[m.Start] == '"' && bytes.IndexByte(doc[m.Start:m.End], '\\') < 0; m.Text != plain {
				t.Errorf("member %q: Text is %v for %s", m.Name, m.Text, doc[m.Start:m.End])
			}
		}
	})
}

// A valid record that the fast path leaves to jsonschema has its members
// listed all the same.
func TestValidateMembersWithoutTheFastPath(t *testing.T) {
	head := `{"schema":"movie-record.v1","id":"tt0111161","title":"The Shawshank Redemption","sourceUrl":"https://example.org/films","scrapedAt":"2026-11-26T09:30:00Z","runId":"run-1"`
	for name, doc := range map[string]string{
		"integer with a fraction": head + `,"year":1994.0}`,
		"invalid UTF-8":           head + ",\"director\":\"Jos\xe9\"}",
		"escapes":                 head + `,"originalTitle":"Tom \u0026 Jerry"}`,
		"spaces":                  " \n" + head + ` , "adult" : false } `,
	} {
		t.Run(name, func(t *testing.T) {
			members, err := contracts.ValidateMembers(contracts.MovieRecordV1, []byte(doc), nil)
			if err != nil {
				t.Fatalf("want valid, got %v", err)
			}
			checkMembers(t, []byte(doc), members)
		})
	}

	// Of a duplicate name, encoding/json and jsonschema keep the last value:
	// both members are listed, in order.
	doc := []byte(head + `,"title":"Another"}`)
	members, err := contracts.ValidateMembers(contracts.MovieRecordV1, doc, nil)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, m := range members {
		if m.Name == "title" {
			titles = append(titles, string(doc[m.Start:m.End]))
		}
	}
	if want := []string{`"The Shawshank Redemption"`, `"Another"`}; !slices.Equal(titles, want) {
		t.Errorf("titles %q, want %q", titles, want)
	}
}

func TestValidateMembersOfInvalidRecords(t *testing.T) {
	eachGolden(t, "invalid", func(t *testing.T, _ string, doc []byte) {
		dst := []contracts.Member{{Name: "kept"}}
		members, err := contracts.ValidateMembers(contracts.MovieRecordV1, doc, dst)
		want := contracts.Validate(contracts.MovieRecordV1, doc)
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Fatalf("err %v, Validate says %v", err, want)
		}
		if len(members) != 1 || members[0].Name != "kept" {
			t.Errorf("an invalid record changed dst: %+v", members)
		}
	})
}

func TestValidateMembersAppends(t *testing.T) {
	doc, err := os.ReadFile(goldenFiles(t, "valid")[0])
	if err != nil {
		t.Fatal(err)
	}
	members, err := contracts.ValidateMembers(contracts.MovieRecordV1, doc, []contracts.Member{{Name: "kept"}})
	if err != nil {
		t.Fatal(err)
	}
	if members[0].Name != "kept" {
		t.Fatalf("dst's first member is %q", members[0].Name)
	}
	checkMembers(t, doc, members[1:])
}
