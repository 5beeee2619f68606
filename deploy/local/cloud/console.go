package cloud

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

//go:embed console/*.html
var consoleFiles embed.FS

// consolePages are the console's templates: index, run, trace, film, errors.
var consolePages = template.Must(template.New("console").Funcs(template.FuncMap{
	"count": fmtCount,
	"ms":    fmtMs,
	"mid":   func(a, b float64) float64 { return (a + b) / 2 },
	"up":    func(d, v float64) float64 { return v - d },
	"add":   func(a, b int) int { return a + b },
	"mul":   func(a, b float64) float64 { return a * b },
	"when":  fmtWhen,
}).ParseFS(consoleFiles, "console/*.html"))

// console serves the local pages: the service map and recent runs (/), a
// run's progress (/runs/{id}), a trace by page or one film's path through
// it (/traces/{id}[?movie=ID], .json for the segments), the error table
// with filters (/errors).
func (c *Cloud) console() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /traces", func(w http.ResponseWriter, r *http.Request) {
		sums := []xraylocal.Summary{} // with each trace's size and LimitExceeded mark
		for _, id := range c.xray.Traces(100) {
			if s, ok := c.xray.Summary(id); ok {
				sums = append(sums, s)
			}
		}
		writeJSON(w, sums)
	})
	mux.HandleFunc("GET /traces/{id}", c.tracePage)
	mux.HandleFunc("GET /runs/{id}", c.runPage)
	mux.HandleFunc("GET /errors", func(w http.ResponseWriter, r *http.Request) {
		render(w, "errors.html", buildErrors(c.errorRows(r.Context()), errorFilterOf(r.URL.Query())))
	})
	mux.HandleFunc("GET /{$}", c.indexPage)
	return mux
}

func (c *Cloud) tracePage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if json, ok := strings.CutSuffix(id, ".json"); ok {
		segs := c.xray.Trace(json)
		if len(segs) == 0 {
			http.Error(w, `{"message":"no such trace"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, segs)
		return
	}
	segs := c.xray.Trace(id)
	if len(segs) == 0 {
		http.NotFound(w, r)
		return
	}
	// ?movie=ID draws one film's path through a scrape's trace.
	if movie := r.URL.Query().Get("movie"); movie != "" {
		bars, total := filmBars(xraylocal.Film(segs, movie))
		render(w, "film.html", map[string]any{"ID": id, "Movie": movie, "Bars": bars, "Total": total})
		return
	}
	g := groupTrace(id, segs)
	g.Summary, _ = c.xray.Summary(id)
	g.Size = fmt.Sprintf("%.1f KB of %d KB", float64(g.Summary.Bytes)/1024, xraylocal.MaxTraceDocument>>10)
	open, _ := strconv.Atoi(r.URL.Query().Get("page")) // ?page=N opens page N's group
	for i := range g.Pages {
		g.Pages[i].Open = g.Pages[i].N == open
	}
	render(w, "trace.html", g)
}

// runPage shows a run by its trace id, or by its run id when a recent
// trace or the error table names it.
func (c *Cloud) runPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	errs := c.errorRows(r.Context())
	traceID := c.runTrace(id, errs)
	segs := c.xray.Trace(traceID)
	if len(segs) == 0 {
		http.NotFound(w, r)
		return
	}
	runID := runIDOf(traceID, segs, errs)
	v := buildRun(traceID, runID, segs, runErrors(errs, traceID, runID))
	v.Stored, v.StoredKnown = c.storedFor(r.Context(), runID)
	v.Sampled = v.StoredKnown && v.Traced < v.Stored
	render(w, "run.html", v)
}

// runTrace is the trace of run id: id itself when it is a trace's.
func (c *Cloud) runTrace(id string, errs []errorRow) string {
	if _, ok := c.xray.Root(id); ok {
		return id
	}
	for _, e := range errs {
		if e.RunID == id && e.Trace != "" {
			return e.Trace
		}
	}
	for _, row := range c.traceRows(50) {
		if !row.Run {
			continue
		}
		for _, s := range flatten(c.xray.Trace(row.ID)) {
			if s.annotation("run_id") == id {
				return row.ID
			}
		}
	}
	return id
}

// mapTraces is how many recent API traces the service map reads.
const mapTraces = 20

func (c *Cloud) indexPage(w http.ResponseWriter, r *http.Request) {
	errs := c.errorRows(r.Context())
	hints := tableHints{Parked: map[string]bool{},
		Movies: c.State.Exports["moviepipe-"+c.State.Stage+"-MoviesTableName"],
		Errors: c.State.Exports["moviepipe-"+c.State.Stage+"-ErrorsTableName"]}
	for _, e := range errs {
		if e.Stage == "process" && e.Movie != "" {
			hints.Parked[e.Movie] = true
		}
	}
	var traces [][]xraylocal.Segment
	for _, id := range c.xray.Traces(math.MaxInt) {
		if len(traces) == mapTraces {
			break
		}
		if root, ok := c.xray.Root(id); ok && root.Origin == apiGatewayOrigin {
			traces = append(traces, c.xray.Trace(id))
		}
	}
	summary := buildErrors(errs, errorFilter{})
	summary.Rows = summary.Rows[:min(len(summary.Rows), 10)]
	render(w, "index.html", map[string]any{"State": c.State, "Traces": c.traceRows(50), "Mappings": c.Mappings(),
		"Errors": summary, "Map": buildServiceMap(traces, hints)})
}

// render writes a page; a template that fails has written part of it, so
// the failure can only end the page.
func render(w http.ResponseWriter, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := consolePages.ExecuteTemplate(w, page, data); err != nil {
		_, _ = w.Write([]byte("<p>the page failed: " + template.HTMLEscapeString(err.Error()) + "</p>"))
	}
}

// traceRow is one recent trace; a run is a trace that starts at the scraper's API.
type traceRow struct {
	ID, Root, Start string
	Ms              float64
	Run             bool
	Status          int
}

// traceRows lists the n most recent runs, then the n most recent other
// traces (the processor's invocations, the API's requests), newest first: a
// run's hundreds of invocations must not push the run itself off the page.
func (c *Cloud) traceRows(n int) []traceRow {
	var runs, others []traceRow
	for _, id := range c.xray.Traces(math.MaxInt) {
		if len(runs) == n && len(others) == n {
			break
		}
		row := traceRow{ID: id}
		if s, ok := c.xray.Root(id); ok {
			row.Root, row.Ms = s.Name, (s.EndTime-s.StartTime)*1000
			row.Start = time.Unix(int64(s.StartTime), 0).UTC().Format("15:04:05")
			row.Run = strings.Contains(s.Name, "-moviepipe-scraper/")
			var h struct {
				Response struct{ Status int } `json:"response"`
			}
			_ = json.Unmarshal(s.HTTP, &h)
			row.Status = h.Response.Status
		}
		switch {
		case row.Run && len(runs) < n:
			runs = append(runs, row)
		case !row.Run && len(others) < n:
			others = append(others, row)
		}
	}
	return append(runs, others...)
}

// fmtWhen writes an RFC 3339 time to the second, in UTC; other text as is.
func fmtWhen(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
