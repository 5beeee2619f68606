package queryapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	queryapi "github.com/moviepipe/moviepipe/query-api"
)

// An event that is not an API Gateway proxy request is a 400 problem with
// code "malformed-event", not an error API Gateway would turn into a 502.
func TestMalformedEventIsA400(t *testing.T) {
	h, _ := newHandler(t)
	for _, ev := range []string{`{}`, `{"httpMethod": 5, "path": "/movies"}`, `{"httpMethod": "GET", "headers": "x"}`, `[1, 2]`} {
		resp, err := h.HandleEvent(t.Context(), json.RawMessage(ev))
		if err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
		checkShape(t, resp)
		var p queryapi.Problem
		_ = json.Unmarshal([]byte(resp.Body), &p)
		if resp.StatusCode != http.StatusBadRequest || p.Code != "malformed-event" {
			t.Errorf("%s: %d %s", ev, resp.StatusCode, resp.Body)
		}
	}
	raw, _ := json.Marshal(events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/movies/tt0111161"})
	if resp, err := h.HandleEvent(t.Context(), raw); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a proxy request: %d %v", resp.StatusCode, err)
	}
}

func TestStoreDeadline(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	for name, tt := range map[string]struct {
		fn      time.Time
		has     bool
		timeout time.Duration
		want    time.Time
	}{
		"no function deadline":       {time.Time{}, false, 3 * time.Second, now.Add(3 * time.Second)},
		"the timeout comes first":    {now.Add(10 * time.Second), true, 3 * time.Second, now.Add(3 * time.Second)},
		"the function's comes first": {now.Add(2 * time.Second), true, 3 * time.Second, now.Add(2*time.Second - queryapi.StoreMargin)},
		"the function's is past":     {now.Add(-time.Second), true, 3 * time.Second, now.Add(-time.Second - queryapi.StoreMargin)},
	} {
		if got := queryapi.StoreDeadline(now, tt.fn, tt.has, tt.timeout); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", name, got, tt.want)
		}
	}
}
