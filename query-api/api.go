// Package queryapi serves the movies table over API Gateway (REST, v1 proxy
// events): GET /movies/{id} and GET /movies?limit=&cursor=&year=.
//
// Every answer is JSON: a movie.v1 resource, a page of them, or an RFC 9457
// problem (application/problem+json) with a stable "code" that never carries
// internal text. Nothing a client can send produces a 5xx: a malformed event
// is a 400 (TestMalformedEventIsA400), a panic a 500 with code "internal"
// (TestPanicIsA500WithoutText). Every store call has a deadline shorter than
// the function's own, so a slow, frozen or throttled store is a 503 with
// Retry-After, never Lambda's timeout (TestFrozenStoreIsA503InTime).
package queryapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Movie is one movie.v1 resource, as JSON.
type Movie = json.RawMessage

// Key is a position in a listing: the last movie of a page.
type Key struct {
	ID   string `json:"id"`
	Year *int   `json:"year,omitempty"`
}

// ListQuery asks for one page of movies.
type ListQuery struct {
	Limit int
	Year  *int // nil lists every movie
	After *Key // nil starts at the beginning
}

// Page is one page of a listing; Next is nil on the last page.
type Page struct {
	Movies []Movie
	Next   *Key
}

// Store reads the movies table.
type Store interface {
	// Movie returns the movie with id, or false when there is none.
	Movie(ctx context.Context, id string) (Movie, bool, error)
	// List returns a page of movies, by year when q.Year is set.
	List(ctx context.Context, q ListQuery) (Page, error)
}

// ErrUnavailable marks a store error that may pass on retry (throttling,
// timeouts): the API answers 503 instead of 500.
var ErrUnavailable = errors.New("store unavailable")

// Handler answers API Gateway proxy requests.
type Handler struct {
	Store  Store
	Cursor Cursor
	// StoreTimeout bounds each store call [DefaultStoreTimeout]; see
	// StoreDeadline.
	StoreTimeout time.Duration
	Log          *slog.Logger
}

// Listing limits.
const (
	DefaultLimit = 25
	MaxLimit     = 100
)

type response = events.APIGatewayProxyResponse

// HandleEvent decodes an event and answers it as Handle does; an event that
// is not an API Gateway proxy request is a 400 problem, not an error that
// API Gateway would turn into a bare 502.
func (h *Handler) HandleEvent(ctx context.Context, raw json.RawMessage) (response, error) {
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &req); err != nil || req.HTTPMethod == "" {
		return problem(http.StatusBadRequest, "malformed-event", "Malformed request", "The event is not an API Gateway proxy request."), nil
	}
	return h.Handle(ctx, req)
}

// Handle routes one request. It never returns an error: failures are
// problem responses, and a panic is recovered into a 500 without its text.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (resp response, _ error) {
	defer func() {
		if v := recover(); v != nil {
			h.log().ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp = problem(http.StatusInternalServerError, "internal", "Internal error", "The request could not be answered. Try again later.")
		}
	}()
	resource := req.Resource
	if resource == "" { // not behind API Gateway's router: route by path
		resource = route(req.Path)
	}
	switch resource {
	case "/movies/{id}":
		if req.HTTPMethod != http.MethodGet {
			return methodNotAllowed(), nil
		}
		return h.get(ctx, req), nil
	case "/movies":
		if req.HTTPMethod != http.MethodGet {
			return methodNotAllowed(), nil
		}
		return h.list(ctx, req), nil
	default:
		return problem(http.StatusNotFound, "no-route", "Not found", "There is nothing at this path. Try GET /movies or GET /movies/{id}."), nil
	}
}

// route maps a raw path, with or without a stage prefix, to its resource.
func route(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		if p != "movies" {
			continue
		}
		switch len(parts) - i {
		case 1:
			return "/movies"
		case 2:
			return "/movies/{id}"
		}
	}
	return ""
}

func (h *Handler) get(ctx context.Context, req events.APIGatewayProxyRequest) response {
	id, ok := req.PathParameters["id"]
	if !ok {
		id = req.Path[strings.LastIndexByte(req.Path, '/')+1:]
	}
	if !ValidID(id) {
		return problem(http.StatusBadRequest, "invalid-id", "Invalid movie id",
			"A movie id is an IMDb id such as tt0111161 or a derived id such as mv-alien-1979-0123abcd.")
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	m, found, err := h.Store.Movie(sctx, id)
	if err != nil {
		return h.storeFailed(ctx, err)
	}
	if !found {
		return problem(http.StatusNotFound, "movie-not-found", "Movie not found", "No movie has the id "+id+".")
	}
	return cached(req, []byte(m), "public, max-age=60")
}

func (h *Handler) list(ctx context.Context, req events.APIGatewayProxyRequest) response {
	q := ListQuery{Limit: DefaultLimit}
	params := req.QueryStringParameters
	if v, ok := params["limit"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return problem(http.StatusBadRequest, "invalid-limit", "Invalid limit", fmt.Sprintf("limit is a whole number from 1 to %d.", MaxLimit))
		}
		q.Limit = n
	}
	if v, ok := params["year"]; ok {
		y, err := strconv.Atoi(v)
		if err != nil || y < MinYear || y > MaxYear {
			return problem(http.StatusBadRequest, "invalid-year", "Invalid year", fmt.Sprintf("year is a whole number from %d to %d.", MinYear, MaxYear))
		}
		q.Year = &y
	}
	if v, ok := params["cursor"]; ok {
		k, err := h.Cursor.Decode(v, q.Year)
		if err != nil {
			return problem(http.StatusBadRequest, "invalid-cursor", "Invalid cursor",
				"The cursor was not issued for this listing. Start again without a cursor.")
		}
		q.After = &k
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	page, err := h.Store.List(sctx, q)
	if err != nil {
		return h.storeFailed(ctx, err)
	}
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i, m := range page.Movies {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(m)
	}
	fmt.Fprintf(&b, `],"count":%d`, len(page.Movies))
	if page.Next != nil {
		fmt.Fprintf(&b, `,"next":%q`, h.Cursor.Encode(*page.Next, q.Year))
	}
	b.WriteByte('}')
	return cached(req, []byte(b.String()), "public, max-age=30")
}

func (h *Handler) storeFailed(ctx context.Context, err error) response {
	h.log().ErrorContext(ctx, "store failed", "error", err)
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		r := problem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", "The movie store is busy. Try again shortly.")
		r.Headers["Retry-After"] = "1"
		return r
	}
	return problem(http.StatusInternalServerError, "internal", "Internal error", "The request could not be answered. Try again later.")
}

// cached answers 200 with body and an ETag, or 304 when the client holds it.
func cached(req events.APIGatewayProxyRequest, body []byte, cacheControl string) response {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	headers := map[string]string{"ETag": etag, "Cache-Control": cacheControl}
	if matches(header(req, "If-None-Match"), etag) {
		return response{StatusCode: http.StatusNotModified, Headers: headers}
	}
	headers["Content-Type"] = "application/json"
	return response{StatusCode: http.StatusOK, Headers: headers, Body: string(body)}
}

// matches implements If-None-Match's weak comparison (RFC 9110 13.1.2).
func matches(ifNoneMatch, etag string) bool {
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// header reads a request header case-insensitively, as API Gateway passes
// them as the client sent them.
func header(req events.APIGatewayProxyRequest, name string) string {
	if v, ok := req.Headers[name]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Problem is an RFC 9457 problem detail. Code is stable (the last segment of
// Type) for clients to act on; Detail is for people.
type Problem struct {
	Type   string `json:"type"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// ProblemTypeBase prefixes every problem type.
const ProblemTypeBase = "https://moviepipe.dev/problems/"

func problem(status int, kind, title, detail string) response {
	body, _ := json.Marshal(Problem{Type: ProblemTypeBase + kind, Code: kind, Title: title, Status: status, Detail: detail})
	return response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/problem+json", "Cache-Control": "no-store"},
		Body:       string(body),
	}
}

func methodNotAllowed() response {
	r := problem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "Only GET is allowed here.")
	r.Headers["Allow"] = "GET"
	return r
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
