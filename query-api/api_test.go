package queryapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/contracts"
	queryapi "github.com/moviepipe/moviepipe/query-api"
	"github.com/moviepipe/moviepipe/query-api/internal/memstore"
	"github.com/moviepipe/moviepipe/query-api/internal/storetest"
)

func newHandler(t testing.TB) (*queryapi.Handler, *memstore.Store) {
	s := memstore.New()
	s.Seed(context.Background(), storetest.Golden(t))
	var movies []map[string]any
	for i := range 30 {
		movies = append(movies, map[string]any{"id": fmt.Sprintf("tt10000%03d", i), "title": fmt.Sprintf("Movie %d", i), "year": 1990 + i%3,
			"sourceUrl": "https://example.com/", "scrapedAt": "2026-11-26T09:30:00Z", "runId": "run-1"})
	}
	s.Seed(context.Background(), movies)
	return &queryapi.Handler{Store: s, Cursor: queryapi.Cursor{Key: []byte("test-key-0123456789")}, Log: slog.New(slog.DiscardHandler)}, s
}

func get(path string, query map[string]string, headers map[string]string) events.APIGatewayProxyRequest {
	req := events.APIGatewayProxyRequest{HTTPMethod: http.MethodGet, Path: path, QueryStringParameters: query, Headers: headers}
	if rest, ok := strings.CutPrefix(path, "/movies/"); ok {
		req.Resource, req.PathParameters = "/movies/{id}", map[string]string{"id": rest}
	} else if path == "/movies" {
		req.Resource = "/movies"
	}
	return req
}

func do(t testing.TB, h *queryapi.Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("handler returned an error: %v", err)
	}
	checkShape(t, resp)
	return resp
}

// checkShape holds every answer to the contract: 200s are movie.v1 (or a page
// of them), errors are RFC 9457 problems whose status matches.
func checkShape(t testing.TB, resp events.APIGatewayProxyResponse) {
	t.Helper()
	switch resp.StatusCode {
	case http.StatusOK:
		if resp.Headers["Content-Type"] != "application/json" || resp.Headers["ETag"] == "" {
			t.Fatalf("200 headers %v", resp.Headers)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
			Count *int              `json:"count"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &page); err == nil && page.Count != nil {
			if len(page.Items) != *page.Count {
				t.Fatalf("count %d, %d items", *page.Count, len(page.Items))
			}
			for _, m := range page.Items {
				if err := contracts.Validate(contracts.MovieV1, m); err != nil {
					t.Fatalf("listed movie is not movie.v1: %v\n%s", err, m)
				}
			}
			return
		}
		if err := contracts.Validate(contracts.MovieV1, []byte(resp.Body)); err != nil {
			t.Fatalf("200 body is not movie.v1: %v\n%s", err, resp.Body)
		}
	case http.StatusNotModified:
		if resp.Body != "" {
			t.Fatal("304 with a body")
		}
	default:
		if resp.Headers["Content-Type"] != "application/problem+json" {
			t.Fatalf("%d with Content-Type %q", resp.StatusCode, resp.Headers["Content-Type"])
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
			t.Fatalf("problem body: %v", err)
		}
		if len(p) != 5 || p["status"] != float64(resp.StatusCode) || p["type"] != queryapi.ProblemTypeBase+fmt.Sprint(p["code"]) || p["code"] == "" || p["title"] == "" || p["detail"] == "" {
			t.Fatalf("problem %s", resp.Body)
		}
	}
}

func TestGetMovie(t *testing.T) {
	h, _ := newHandler(t)
	for _, m := range storetest.Golden(t) {
		resp := do(t, h, get("/movies/"+m["id"].(string), nil, nil))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", m["id"], resp.StatusCode, resp.Body)
		}
		if !strings.Contains(resp.Headers["Cache-Control"], "max-age") {
			t.Errorf("Cache-Control %q", resp.Headers["Cache-Control"])
		}
	}
}

func TestConditionalGet(t *testing.T) {
	h, _ := newHandler(t)
	first := do(t, h, get("/movies/tt0111161", nil, nil))
	etag := first.Headers["ETag"]
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		resp := do(t, h, get("/movies/tt0111161", nil, map[string]string{"if-none-match": inm}))
		if resp.StatusCode != http.StatusNotModified || resp.Headers["ETag"] != etag {
			t.Errorf("If-None-Match %s: %d", inm, resp.StatusCode)
		}
	}
	if resp := do(t, h, get("/movies/tt0111161", nil, map[string]string{"If-None-Match": `"stale"`})); resp.StatusCode != http.StatusOK {
		t.Errorf("stale ETag: %d", resp.StatusCode)
	}
}

func TestErrors(t *testing.T) {
	h, _ := newHandler(t)
	tests := []struct {
		name string
		req  events.APIGatewayProxyRequest
		want int
	}{
		{"unknown id", get("/movies/tt0000000", nil, nil), http.StatusNotFound},
		{"malformed id", get("/movies/tt12", nil, nil), 400},
		{"id with a slash", get("/movies/..%2Fetc", nil, nil), 400},
		{"id too long", get("/movies/mv-"+strings.Repeat("a", 100)+"-0123abcd", nil, nil), 400},
		{"unknown route", get("/films", nil, nil), 404},
		{"wrong method", events.APIGatewayProxyRequest{HTTPMethod: "DELETE", Resource: "/movies/{id}", Path: "/movies/tt0111161", PathParameters: map[string]string{"id": "tt0111161"}}, 405},
		{"wrong method on the list", events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/movies", Path: "/movies"}, 405},
		{"limit zero", get("/movies", map[string]string{"limit": "0"}, nil), 400},
		{"limit too large", get("/movies", map[string]string{"limit": "101"}, nil), 400},
		{"limit not a number", get("/movies", map[string]string{"limit": "ten"}, nil), 400},
		{"year out of range", get("/movies", map[string]string{"year": "3000"}, nil), 400},
		{"year not a number", get("/movies", map[string]string{"year": "1994x"}, nil), 400},
		{"cursor garbage", get("/movies", map[string]string{"cursor": "!!!"}, nil), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp := do(t, h, tt.req); resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.want, resp.Body)
			}
		})
	}
}

func TestStoreFailureHidesInternals(t *testing.T) {
	h, s := newHandler(t)
	s.Err = fmt.Errorf("%w: ProvisionedThroughputExceededException: table movies-dev secret detail", queryapi.ErrUnavailable)
	resp := do(t, h, get("/movies/tt0111161", nil, nil))
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(resp.Body, "movies-dev") || resp.Headers["Retry-After"] == "" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	s.Err = errors.New("ValidationException: table movies-dev secret detail")
	resp = do(t, h, get("/movies", nil, nil))
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(resp.Body, "movies-dev") {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}

type page struct {
	Items []struct {
		ID   string `json:"id"`
		Year int    `json:"year"`
	} `json:"items"`
	Next string `json:"next"`
}

func listAll(t *testing.T, h *queryapi.Handler, query map[string]string) []string {
	var ids []string
	q := map[string]string{}
	for k, v := range query {
		q[k] = v
	}
	for range 100 {
		resp := do(t, h, get("/movies", q, nil))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
		var p page
		_ = json.Unmarshal([]byte(resp.Body), &p)
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		if p.Next == "" {
			return ids
		}
		q["cursor"] = p.Next
	}
	t.Fatal("listing does not end")
	return nil
}

func TestListCursorRoundTrip(t *testing.T) {
	h, _ := newHandler(t)
	all := listAll(t, h, map[string]string{"limit": "7"})
	if len(all) != 30+len(storetest.Golden(t)) {
		t.Fatalf("listed %d", len(all))
	}
	byYear := listAll(t, h, map[string]string{"limit": "3", "year": "1991"})
	if len(byYear) != 10 {
		t.Fatalf("year 1991 lists %d: %v", len(byYear), byYear)
	}
	if def := do(t, h, get("/movies", nil, nil)); !strings.Contains(def.Body, `"count":25`) {
		t.Fatalf("default page: %s", def.Body[:80])
	}
}

func TestTamperedAndForeignCursors(t *testing.T) {
	h, _ := newHandler(t)
	resp := do(t, h, get("/movies", map[string]string{"limit": "2", "year": "1991"}, nil))
	var p page
	_ = json.Unmarshal([]byte(resp.Body), &p)
	if p.Next == "" {
		t.Fatal("no cursor")
	}
	tampered := []byte(p.Next)
	tampered[len(tampered)-2] ^= 1
	cases := map[string]map[string]string{
		"tampered":              {"year": "1991", "cursor": string(tampered)},
		"other year":            {"year": "1992", "cursor": p.Next},
		"year cursor, all list": {"cursor": p.Next},
		"other key": {"year": "1991", "cursor": (queryapi.Cursor{Key: []byte("another-key-01234")}).Encode(
			queryapi.Key{ID: "tt0000001", Year: ptr(1991)}, ptr(1991))},
	}
	for name, q := range cases {
		if r := do(t, h, get("/movies", q, nil)); r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", name, r.StatusCode)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestPanicIsA500WithoutText(t *testing.T) {
	h := &queryapi.Handler{Store: panicStore{}, Log: slog.New(slog.DiscardHandler)}
	resp := do(t, h, get("/movies/tt0111161", nil, nil))
	if resp.StatusCode != http.StatusInternalServerError || strings.Contains(resp.Body, "boom") || !strings.Contains(resp.Body, `"code":"internal"`) {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}

type panicStore struct{ queryapi.Store }

func (panicStore) Movie(context.Context, string) (queryapi.Movie, bool, error) { panic("boom") }

func TestRoutesByPathWithStagePrefix(t *testing.T) {
	h, _ := newHandler(t)
	req := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/local/movies/tt0111161"}
	if resp := do(t, h, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
}

func FuzzHandle(f *testing.F) {
	h, _ := newHandler(f)
	next := queryapi.Cursor{Key: []byte("test-key-0123456789")}.Encode(queryapi.Key{ID: "tt10000002"}, nil)
	f.Add("tt0111161", "10", "", "")
	f.Add("mv-the-land-girls-1998-6d1f0a3e", "", "1998", "")
	f.Add("../../etc/passwd", "-1", "99999999999999999999", "%%%")
	f.Add("tt0111161", "25", "", next)
	f.Fuzz(func(t *testing.T, id, limit, year, cursor string) {
		q := map[string]string{}
		for k, v := range map[string]string{"limit": limit, "year": year, "cursor": cursor} {
			if v != "" {
				q[k] = v
			}
		}
		for _, req := range []events.APIGatewayProxyRequest{get("/movies/"+id, nil, nil), get("/movies", q, nil)} {
			resp := do(t, h, req)
			if resp.StatusCode >= 500 {
				t.Fatalf("%d for %+v: %s", resp.StatusCode, req, resp.Body)
			}
		}
	})
}

func BenchmarkGetMovie(b *testing.B) {
	h, _ := newHandler(b)
	req := get("/movies/tt0111161", nil, map[string]string{"Accept": "application/json"})
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusOK {
			b.Fatal(resp.StatusCode)
		}
	}
}

func BenchmarkListMovies(b *testing.B) {
	h, _ := newHandler(b)
	req := get("/movies", map[string]string{"limit": "25"}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusOK {
			b.Fatal(resp.StatusCode)
		}
	}
}
