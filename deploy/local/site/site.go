// Package site serves the sample movie catalogue the local cloud scrapes: the
// 3,201 films of the vega-datasets movies data, nulls and intentional errors
// kept as they are, as paginated list pages, a page per film and robots.txt.
// Its markup is what the scraper's catalogue profile reads. It also serves
// sample pages in the workshop's two layouts.
package site

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
)

// Film is one row of vega-datasets' movies.json; nil is null there.
type Film struct {
	Title            any      `json:"Title"` // a string, a number (1776) or null
	USGross          *float64 `json:"US Gross"`
	WorldwideGross   *float64 `json:"Worldwide Gross"`
	USDVDSales       *float64 `json:"US DVD Sales"`
	ProductionBudget *float64 `json:"Production Budget"`
	ReleaseDate      *string  `json:"Release Date"`
	MPAARating       *string  `json:"MPAA Rating"`
	RunningTime      *float64 `json:"Running Time min"`
	Distributor      *string  `json:"Distributor"`
	Source           *string  `json:"Source"`
	MajorGenre       *string  `json:"Major Genre"`
	CreativeType     *string  `json:"Creative Type"`
	Director         *string  `json:"Director"`
	RottenTomatoes   *float64 `json:"Rotten Tomatoes Rating"`
	IMDBRating       *float64 `json:"IMDB Rating"`
	IMDBVotes        *float64 `json:"IMDB Votes"`

	Slug string `json:"-"`
}

// Load reads movies.json (node_modules/vega-datasets/data/movies.json).
func Load(path string) ([]Film, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the catalogue data (npm ci installs vega-datasets): %w", err)
	}
	var films []Film
	if err := json.Unmarshal(data, &films); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]int{}
	for i := range films {
		f := &films[i]
		s := slug(f.TitleText())
		if y := f.Year(); y != "" {
			s += "-" + y
		}
		if s == "" {
			s = "untitled"
		}
		seen[s]++
		if seen[s] > 1 {
			s += "-" + strconv.Itoa(seen[s])
		}
		f.Slug = s
	}
	return films, nil
}

// TitleText is the title as the page prints it ("" when unknown).
func (f Film) TitleText() string {
	switch t := f.Title.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	return ""
}

// Date is the release date as YYYY-MM-DD, "" when unknown or unreadable.
func (f Film) Date() string {
	if f.ReleaseDate == nil {
		return ""
	}
	t, err := time.Parse("Jan 02 2006", *f.ReleaseDate)
	if err != nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Year of release, "" when unknown.
func (f Film) Year() string {
	if d := f.Date(); d != "" {
		return d[:4]
	}
	return ""
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// Site serves the catalogue.
type Site struct {
	Films   []Film
	PerPage int
	bySlug  map[string]*Film
	// ListPages counts the list pages served.
	ListPages atomic.Int64
	// Fault makes the list pages misbehave: "", 500, timeout, slow,
	// oversized, metadata (a redirect to 169.254.169.254) or robots (the
	// site's robots.txt disallows everything).
	Fault atomic.Value
}

// New returns the site's handler over films.
func New(films []Film, perPage int) *Site {
	s := &Site{Films: films, PerPage: perPage, bySlug: map[string]*Film{}}
	for i := range films {
		s.bySlug[films[i].Slug] = &films[i]
	}
	return s
}

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"usd":     usd,
	"int":     func(v *float64) string { return strconv.FormatFloat(math.Round(*v), 'f', 0, 64) },
	"num":     func(v *float64) string { return strconv.FormatFloat(*v, 'f', -1, 64) },
	"commas":  func(v *float64) string { return commas(int64(math.Round(*v))) },
	"human":   humanDate,
	"add":     func(a, b int) int { return a + b },
	"dash":    func(s string) string { return orDash(s) },
	"deref":   func(s *string) string { return orDash(deref(s)) },
	"percent": func(v *float64) int { return int(math.Round(*v)) },
}).ParseFS(templateFiles, "templates/*.html"))

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func usd(v *float64) string { return "$" + commas(int64(math.Round(*v))) }

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func humanDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("January 2, 2006")
}

// ServeHTTP routes the site.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/":
		http.Redirect(w, r, "/films", http.StatusFound)
	case p == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.fault() == "robots" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /\n")
			return
		}
		fmt.Fprint(w, "# The moviepipe sample catalogue welcomes polite robots.\nUser-agent: *\nDisallow: /private/\n")
	case p == "/films":
		s.ListPages.Add(1)
		if s.misbehave(w, r) {
			return
		}
		s.list(w, r)
	case strings.HasPrefix(p, "/films/"):
		s.film(w, r, strings.TrimPrefix(p, "/films/"))
	case p == "/workshop/table", p == "/workshop/cards":
		s.workshop(w, r, strings.TrimPrefix(p, "/workshop/"))
	default:
		http.NotFound(w, r)
	}
}

func (s *Site) fault() string {
	f, _ := s.Fault.Load().(string)
	return f
}

// misbehave answers a list page as the configured fault says; it reports
// whether it did.
func (s *Site) misbehave(w http.ResponseWriter, r *http.Request) bool {
	switch s.fault() {
	case "500":
		http.Error(w, "internal server error", http.StatusInternalServerError)
	case "timeout":
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Minute):
		}
	case "slow":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		for i := 0; i < 600 && r.Context().Err() == nil; i++ {
			fmt.Fprint(w, "<p>")
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	case "oversized":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body>"+strings.Repeat("<p>padding</p>", 6<<20/14)+"</body></html>")
	case "metadata":
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	default:
		return false
	}
	return true
}

type listPage struct {
	Films        []Film
	Page, Pages  int
	First, Total int
	Prev, Next   string
}

func (s *Site) list(w http.ResponseWriter, r *http.Request) {
	pages := (len(s.Films) + s.PerPage - 1) / s.PerPage
	page := 1
	if v := r.URL.Query().Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > pages {
			http.NotFound(w, r)
			return
		}
		page = n
	}
	lo := (page - 1) * s.PerPage
	hi := min(lo+s.PerPage, len(s.Films))
	lp := listPage{Films: s.Films[lo:hi], Page: page, Pages: pages, First: lo + 1, Total: len(s.Films)}
	if page > 1 {
		lp.Prev = fmt.Sprintf("/films?page=%d", page-1)
	}
	if page < pages {
		lp.Next = fmt.Sprintf("/films?page=%d", page+1)
	}
	render(w, r, "list.html", lp)
}

func (s *Site) film(w http.ResponseWriter, r *http.Request, slug string) {
	f, ok := s.bySlug[slug]
	if !ok {
		http.NotFound(w, r)
		return
	}
	render(w, r, "film.html", f)
}

// workshopRow is one movie in the workshop's layouts (IMDb's fields).
type workshopRow struct {
	ID, PrimaryTitle, OriginalTitle, IsAdult, StartYear, RuntimeMinutes, Genres string
}

// The workshop's own sample data: IMDb titles as its pages showed them,
// with \N for unknown values.
var workshopRows = []workshopRow{
	{"tt0111161", "The Shawshank Redemption", "The Shawshank Redemption", "0", "1994", "142", "Drama"},
	{"tt0068646", "The Godfather", "The Godfather", "0", "1972", "175", "Crime,Drama"},
	{"tt0468569", "The Dark Knight", "The Dark Knight", "0", "2008", "152", "Action,Crime,Drama"},
	{"tt0108052", "Schindler's List", "Schindler's List", "0", "1993", "195", "Biography,Drama,History"},
	{"tt0245429", "Spirited Away", "Sen to Chihiro no kamikakushi", "0", "2001", "125", "Adventure,Animation,Family"},
	{"tt0211915", "Amélie", "Le fabuleux destin d'Amélie Poulain", "0", "2001", "122", "Comedy,Romance"},
	{"tt0317248", "City of God", "Cidade de Deus", "0", "2002", "130", "Crime,Drama"},
	{"tt0096283", "My Neighbor Totoro", "Tonari no Totoro", "0", "1988", "86", "Animation,Family,Fantasy"},
	{"tt0000001", "Carmencita", "Carmencita", "0", "1894", "1", "Documentary,Short"},
	{"tt9999998", "Untitled Project", `\N`, "0", `\N`, `\N`, `\N`},
}

func (s *Site) workshop(w http.ResponseWriter, r *http.Request, layout string) {
	rows := workshopRows
	if r.URL.Query().Get("all") == "1" {
		// Every catalogue film in the workshop layout: the benchmark's page.
		rows = make([]workshopRow, 0, len(s.Films))
		for _, f := range s.Films {
			row := workshopRow{PrimaryTitle: f.TitleText(), OriginalTitle: `\N`, IsAdult: "0", StartYear: orN(f.Year()),
				RuntimeMinutes: `\N`, Genres: orN(deref(f.MajorGenre))}
			if f.RunningTime != nil {
				row.RuntimeMinutes = strconv.Itoa(int(*f.RunningTime))
			}
			rows = append(rows, row)
		}
	}
	render(w, r, "workshop-"+layout+".html", rows)
}

func orN(s string) string {
	if s == "" {
		return `\N`
	}
	return s
}

// render answers a page with a strong ETag of its content.
func render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var b strings.Builder
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	sum := sha256.Sum256([]byte(b.String()))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	// ServeContent answers conditional requests as RFC 9110 says: 304 to
	// an If-None-Match naming the page's ETag.
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(b.String()))
}
