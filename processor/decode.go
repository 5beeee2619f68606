package processor

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/moviepipe/moviepipe/contracts"
)

// decodeMovie reads into m a record that movie-record.v1 has accepted, from
// the members its validation found, so the record is not scanned twice: the
// strings are slices of text, the record, and the optional values share one
// allocation. A string with escapes or invalid UTF-8 or an integer written
// 57.0 is handed to encoding/json alone. It reads what encoding/json reads
// (FuzzDecode holds it to that), and also a scrapedAt written with a
// lowercase t or z, which the contract allows and time.Time refuses. The
// contract having accepted the record, an error is a bug (or a time
// time.Time cannot hold: a leap second); it names the member.
func decodeMovie(text string, members []contracts.Member, m *Movie) error {
	d := movieDecoder{s: text}
	for _, mb := range members {
		d.i, d.end, d.text = mb.Start, mb.End, mb.Text
		if !d.field(m, mb.Name) || d.i != d.end {
			if d.err != nil {
				return fmt.Errorf("%s: %w", mb.Name, d.err)
			}
			return fmt.Errorf("%s: unexpected input at byte %d", mb.Name, d.i)
		}
	}
	return nil
}

// array reads a JSON array, calling each at every element.
func (d *movieDecoder) array(each func() bool) bool {
	if !d.byte('[') {
		return false
	}
	for first := true; ; first = false {
		d.space()
		if d.byte(']') {
			return true
		}
		if !first {
			if !d.byte(',') {
				return false
			}
			d.space()
		}
		if !each() {
			return false
		}
	}
}

// movieDecoder reads the members of one JSON object of known shape.
type movieDecoder struct {
	s    string
	i    int
	end  int  // where the member's value ends
	text bool // the member's value is a string whose contents are its text
	opt  *optionals
	err  error // why a field could not be read, when there is more to say
}

// optionals holds the optional values of one movie, so that pointing to them
// costs one allocation per movie instead of one per value.
type optionals struct {
	strs [8]string
	ints [9]Int
	f    float64
	b    bool
}

func (d *movieDecoder) field(m *Movie, key string) bool {
	if d.opt == nil {
		d.opt = new(optionals)
	}
	o := d.opt
	switch key {
	case "schema":
		return d.strInto(&m.Schema)
	case "id":
		return d.strInto(&m.ID)
	case "title":
		return d.strInto(&m.Title)
	case "sourceUrl":
		return d.strInto(&m.SourceURL)
	case "runId":
		return d.strInto(&m.RunID)
	case "traceHeader":
		return d.strInto(&m.TraceHeader)
	case "scrapedAt":
		var s string
		if !d.strInto(&s) {
			return false
		}
		// UnmarshalText parses as time.Time's UnmarshalJSON does; RFC 3339
		// allows a lowercase t and z, which it does not.
		var buf [64]byte
		if m.ScrapedAt.UnmarshalText(append(buf[:0], s...)) == nil {
			return true
		}
		d.err = m.ScrapedAt.UnmarshalText(append(buf[:0], strings.ToUpper(s)...))
		return d.err == nil
	case "originalTitle":
		return d.optStr(&m.OriginalTitle, &o.strs[0])
	case "releaseDate":
		return d.optStr(&m.ReleaseDate, &o.strs[1])
	case "majorGenre":
		return d.optStr(&m.MajorGenre, &o.strs[2])
	case "mpaaRating":
		return d.optStr(&m.MPAARating, &o.strs[3])
	case "distributor":
		return d.optStr(&m.Distributor, &o.strs[4])
	case "sourceMaterial":
		return d.optStr(&m.SourceMaterial, &o.strs[5])
	case "creativeType":
		return d.optStr(&m.CreativeType, &o.strs[6])
	case "director":
		return d.optStr(&m.Director, &o.strs[7])
	case "year":
		return d.optInt(&m.Year, &o.ints[0])
	case "runtimeMinutes":
		return d.optInt(&m.RuntimeMinutes, &o.ints[1])
	case "rottenTomatoesRating":
		return d.optInt(&m.RottenTomatoesRating, &o.ints[2])
	case "imdbVotes":
		return d.optInt(&m.IMDbVotes, &o.ints[3])
	case "usGross":
		return d.optInt(&m.USGross, &o.ints[4])
	case "worldwideGross":
		return d.optInt(&m.WorldwideGross, &o.ints[5])
	case "productionBudget":
		return d.optInt(&m.ProductionBudget, &o.ints[6])
	case "usDvdSales":
		return d.optInt(&m.USDVDSales, &o.ints[7])
	case "imdbRating":
		lit := d.number()
		f, err := strconv.ParseFloat(lit, 64)
		if lit == "" || err != nil {
			return false
		}
		o.f, m.IMDbRating = f, &o.f
		return true
	case "adult":
		switch {
		case strings.HasPrefix(d.s[d.i:], "true"):
			o.b, d.i = true, d.i+4
		case strings.HasPrefix(d.s[d.i:], "false"):
			o.b, d.i = false, d.i+5
		default:
			return false
		}
		m.Adult = &o.b
		return true
	case "genres":
		return d.genres(m)
	}
	return false
}

func (d *movieDecoder) genres(m *Movie) bool {
	m.Genres = make([]string, 0, 4)
	return d.array(func() bool {
		g, ok := d.str()
		m.Genres = append(m.Genres, g)
		return ok
	})
}

// strInto reads the member's value, a string.
func (d *movieDecoder) strInto(dst *string) bool {
	if d.text {
		*dst, d.i = d.s[d.i+1:d.end-1], d.end
		return true
	}
	s, ok := d.str()
	*dst = s
	return ok
}

func (d *movieDecoder) optStr(dst **string, slot *string) bool {
	if !d.strInto(slot) {
		return false
	}
	*dst = slot
	return true
}

func (d *movieDecoder) optInt(dst **Int, slot *Int) bool {
	lit := d.number()
	if lit == "" {
		return false
	}
	if n, ok := digits(lit); ok {
		*slot = Int(n)
	} else if slot.UnmarshalJSON([]byte(lit)) != nil { // 57.0 and such
		return false
	}
	*dst = slot
	return true
}

// str reads a string: a slice of the record, or when it has escapes or
// invalid UTF-8, what encoding/json makes of them.
func (d *movieDecoder) str() (string, bool) {
	start := d.i
	if !d.byte('"') {
		return "", false
	}
	if end := strings.IndexByte(d.s[d.i:], '"'); end >= 0 {
		if v := d.s[d.i : d.i+end]; strings.IndexByte(v, '\\') < 0 && utf8.ValidString(v) {
			d.i += end + 1
			return v, true
		}
	}
	for d.i < len(d.s) && d.s[d.i] != '"' {
		if d.s[d.i] == '\\' {
			d.i++
		}
		d.i++
	}
	if !d.byte('"') {
		return "", false
	}
	var out string
	err := json.Unmarshal([]byte(d.s[start:d.i]), &out)
	return out, err == nil
}

// number reads the member's value, a number, as its literal.
func (d *movieDecoder) number() string {
	lit := d.s[d.i:d.end]
	d.i = d.end
	return lit
}

func (d *movieDecoder) byte(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *movieDecoder) space() {
	for i := d.i; i < len(d.s); i++ {
		if c := d.s[i]; c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			d.i = i
			return
		}
	}
	d.i = len(d.s)
}

// digits reads a literal of up to 18 decimal digits, the form producers
// write integers in, and says whether lit had that form.
func digits(lit string) (int64, bool) {
	if lit == "" || len(lit) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(lit); i++ {
		c := lit[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int64(c)
	}
	return n, true
}
