package scraper_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/fetch"
)

// problemOf checks an answer is problem+json with a status and code, and
// returns its document.
func problemOf(t *testing.T, resp events.APIGatewayProxyResponse, status int, code scraper.ProblemCode) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &doc); err != nil {
		t.Fatalf("body is not JSON: %s", resp.Body)
	}
	if resp.StatusCode != status || resp.Headers["Content-Type"] != "application/problem+json" ||
		doc["status"] != float64(status) || doc["code"] != string(code) || doc["type"] != scraper.ProblemTypeBase+string(code) {
		t.Fatalf("want %d %s, got %d %v %s", status, code, resp.StatusCode, resp.Headers, resp.Body)
	}
	return doc
}

// An event with no resource and no path (which panicked) or with fields of
// the wrong type is a 400 problem; a path without a resource is routed.
func TestHandleMalformedEvents(t *testing.T) {
	h, _, _ := newHandler(t, 1)
	for _, ev := range []string{`{"httpMethod": "POST"}`, `{"httpMethod": "POST", "resource": "", "path": ""}`,
		`{"httpMethod": 5, "path": "/scrapes"}`, `{"httpMethod": "", "path": "/dev/scrapes"}`} {
		out, err := h.Handle(t.Context(), json.RawMessage(ev))
		resp, ok := out.(events.APIGatewayProxyResponse)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", ev, out, err)
		}
		problemOf(t, resp, http.StatusBadRequest, scraper.CodeMalformedEvent)
	}
	out, _ := h.Handle(t.Context(), json.RawMessage(`{"httpMethod": "POST", "path": "/dev/scrapes"}`))
	if resp := out.(events.APIGatewayProxyResponse); resp.StatusCode != http.StatusOK {
		t.Fatalf("routed by path: %d %s", resp.StatusCode, resp.Body)
	}
}

type panickingFetcher struct{}

func (panickingFetcher) Get(context.Context, string, fetch.Validators) (*fetch.Page, error) {
	panic("dial tcp 10.0.0.1:443: secret internal text")
}

// A panic anywhere below the handler is a 500 problem with code "internal"
// and no internal text, through API and Handle; a continuation survives it.
// Either way the run's lease is released.
func TestHandlerRecoversPanics(t *testing.T) {
	h, _, _ := newHandler(t, 1)
	h.Scraper.Fetcher = panickingFetcher{}
	post := events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes"}
	resp := h.API(t.Context(), post)
	problemOf(t, resp, http.StatusInternalServerError, scraper.CodeInternal)
	if strings.Contains(resp.Body, "secret") || strings.Contains(resp.Body, "dial") {
		t.Fatalf("internal text in %s", resp.Body)
	}
	raw, _ := json.Marshal(post) // the panicked run released its lease: no 409
	out, err := h.Handle(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	problemOf(t, out.(events.APIGatewayProxyResponse), http.StatusInternalServerError, scraper.CodeInternal)
	if err := h.Lease.Acquire(t.Context(), "r", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	cont, _ := json.Marshal(scraper.Continuation{Continuation: scraper.State{RunID: "r", Next: h.URL, MaxPages: 1}})
	if out, err := h.Handle(t.Context(), cont); out != nil || err != nil {
		t.Fatalf("continuation: %v %v", out, err)
	}
	if err := h.Lease.Acquire(t.Context(), "next", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("the panicked continuation kept its lease: %v", err)
	}
}

// A page that cannot be fetched fails the run with its real cause, counted,
// and no Go error text in the answer.
func TestAPINamesTheCauseWithoutGoText(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "User-agent: *\nCrawl-delay: 100000\n")
	}))
	t.Cleanup(slow.Close)
	for name, tt := range map[string]struct{ url, reason, says string }{
		"closed port":       {"http://" + closed.Addr().String() + "/films", "connection-refused", "connection refused by " + closed.Addr().String()},
		"huge Crawl-delay":  {slow.URL + "/films", "crawl-delay-too-long", slow.URL + "/robots.txt: robots.txt asks for Crawl-delay 27h46m40s"},
		"unresolvable host": {"http://nosuch.invalid/films", "dns", "DNS failure: the host nosuch.invalid has no address"},
	} {
		t.Run(name, func(t *testing.T) {
			h, _, _ := newHandler(t, 1)
			h.URL = tt.url
			resp := h.API(t.Context(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Resource: "/scrapes"})
			var rep scraper.Report
			if err := json.Unmarshal([]byte(resp.Body), &rep); err != nil || resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("%d %s", resp.StatusCode, resp.Body)
			}
			if rep.Status != scraper.RunFailed || rep.RefusedByReason[tt.reason] != 1 || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0], tt.says) {
				t.Fatalf("report %s", resp.Body)
			}
			for _, internal := range []string{"dial ", "lookup ", "rate: ", ":53"} {
				if strings.Contains(resp.Body, internal) {
					t.Errorf("Go error text %q in %s", internal, resp.Body)
				}
			}
		})
	}
}
