package apigw_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
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
