package apigw_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// raw sends requests on one connection as written (each line of a head
// ending in CRLF) and returns each response with its header lines as
// received (Go's client would canonicalise the names).
func raw(t *testing.T, s *served, requests ...string) []rawResponse {
	t.Helper()
	conn, err := net.Dial("tcp", s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	var out []rawResponse
	for _, req := range requests {
		head, body, _ := strings.Cut(req, "\n\n")
		if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n\r\n"+body); err != nil {
			t.Fatal(err)
		}
		out = append(out, readRaw(t, br))
	}
	return out
}

// rawResponse is a response as it came over the wire.
type rawResponse struct {
	status int
	lines  []string // "Name: value", as received
	body   []byte
}

func readRaw(t *testing.T, br *bufio.Reader) rawResponse {
	t.Helper()
	var head strings.Builder
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		head.WriteString(line)
		if line = strings.TrimRight(line, "\r\n"); line == "" {
			break
		}
		lines = append(lines, line)
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.MultiReader(strings.NewReader(head.String()), br)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, lines: lines[1:], body: body}
}

func echoed(t *testing.T, body []byte) events.APIGatewayProxyRequest {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(body, &ev); err != nil {
		t.Fatalf("not an event: %s", body)
	}
	return ev
}

// The function sees the request's header names as the client wrote them,
// as on AWS, request after request on one connection; a name sent twice in
// two spellings keeps the first and both values.
func TestRequestHeaderNamesAsSent(t *testing.T) {
	s := gateway(t, setup{})
	rs := raw(t, s,
		"GET /test/things/a HTTP/1.1\nHost: gw\ncontent-type: text/plain\nx-lower: 1\nX-MiXeD: 2\nX-LOWER: 3\n\n",
		"GET /test/things/b HTTP/1.1\nHost: gw\nx-second: yes\nConnection: close\n\n")
	first, second := echoed(t, rs[0].body), echoed(t, rs[1].body)
	for name, want := range map[string]string{"content-type": "text/plain", "X-MiXeD": "2", "x-lower": "3", "Host": "gw"} {
		if first.Headers[name] != want {
			t.Errorf("headers[%q] = %q, want %q in %v", name, first.Headers[name], want, first.Headers)
		}
	}
	if got := first.MultiValueHeaders["x-lower"]; len(got) != 2 || got[0] != "1" || got[1] != "3" {
		t.Errorf("multiValueHeaders[x-lower] = %q", got)
	}
	for _, canonical := range []string{"Content-Type", "X-Mixed", "X-Lower"} {
		if _, ok := first.Headers[canonical]; ok {
			t.Errorf("canonicalised name %s in %v", canonical, first.Headers)
		}
	}
	if second.Headers["x-second"] != "yes" || second.Headers["x-lower"] != "" {
		t.Errorf("second request's headers %v", second.Headers)
	}
}

// API Gateway adds X-Forwarded-For (after any the client sent),
// X-Forwarded-Proto and X-Forwarded-Port (how the client reached it) to the
// event's headers.
func TestForwardedHeadersAdded(t *testing.T) {
	s := gateway(t, setup{})
	u, _ := url.Parse(s.URL)
	for sent, want := range map[string]string{"": "127.0.0.1", "203.0.113.7": "203.0.113.7, 127.0.0.1"} {
		headers := map[string]string{"X-Forwarded-Proto": "gopher", "X-Forwarded-Port": "1"}
		if sent != "" {
			headers["X-Forwarded-For"] = sent
		}
		_, body := call(t, "GET", s.URL+"/test/things/x", nil, headers)
		ev := echoed(t, body)
		h := ev.Headers
		if h["X-Forwarded-For"] != want || h["X-Forwarded-Proto"] != "http" || h["X-Forwarded-Port"] != u.Port() {
			t.Errorf("sent X-Forwarded-For %q: got %q %q %q, want %q http %s", sent,
				h["X-Forwarded-For"], h["X-Forwarded-Proto"], h["X-Forwarded-Port"], want, u.Port())
		}
		if len(ev.MultiValueHeaders["X-Forwarded-For"]) != 1 {
			t.Errorf("multiValueHeaders[X-Forwarded-For] = %q", ev.MultiValueHeaders["X-Forwarded-For"])
		}
	}
}

// The gateway's segment starts the trace: the event's X-Amzn-Trace-Id is
// its Root, the function continues it (the scraper's segments join it), and
// the client gets it back.
func TestTraceStartedByTheGateway(t *testing.T) {
	s := gateway(t, setup{})
	resp, body := call(t, "GET", s.URL+"/test/things/x", nil, nil)
	segs := s.segments()
	if len(segs) != 1 {
		t.Fatalf("segments %+v", segs)
	}
	seg, ev := segs[0], echoed(t, body)
	if ev.Headers["X-Amzn-Trace-Id"] != "Root="+seg.TraceID || seg.ParentID != "" {
		t.Errorf("event's X-Amzn-Trace-Id %q, segment %s (parent %q)", ev.Headers["X-Amzn-Trace-Id"], seg.TraceID, seg.ParentID)
	}
	if got := resp.Header.Get("X-Lambda-Trace-Id"); !strings.HasPrefix(got, "Root="+seg.TraceID+";Parent=") || !strings.HasSuffix(got, ";Sampled=1") {
		t.Errorf("the function's trace header %q, segment's trace %s", got, seg.TraceID)
	}
	if got := resp.Header.Get("X-Amzn-Trace-Id"); !strings.HasPrefix(got, "Root="+seg.TraceID+";") {
		t.Errorf("the response's X-Amzn-Trace-Id %q, segment's trace %s", got, seg.TraceID)
	}
}

// A client's X-Amzn-Trace-Id is continued: the gateway's segment joins its
// trace under its parent, and the event carries the header as sent.
func TestClientTraceContinued(t *testing.T) {
	s := gateway(t, setup{})
	sent := "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
	resp, body := call(t, "GET", s.URL+"/test/things/x", nil, map[string]string{"X-Amzn-Trace-Id": sent})
	segs := s.segments()
	if len(segs) != 1 || segs[0].TraceID != "1-3152b799-8954dae64eda91bc9a23a7e8" || segs[0].ParentID != "7fa8c0f79203be72" {
		t.Fatalf("segments %+v", segs)
	}
	if got := echoed(t, body).Headers["X-Amzn-Trace-Id"]; got != sent {
		t.Errorf("event's X-Amzn-Trace-Id %q", got)
	}
	if got := resp.Header.Get("X-Amzn-Trace-Id"); got != sent {
		t.Errorf("response's X-Amzn-Trace-Id %q, want %q", got, sent)
	}
	if got := resp.Header.Get("X-Lambda-Trace-Id"); !strings.HasPrefix(got, "Root=1-3152b799-8954dae64eda91bc9a23a7e8;") {
		t.Errorf("the function's trace header %q", got)
	}
}
