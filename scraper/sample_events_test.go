package scraper_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events of testdata/events, one per route as API Gateway sends
// it, which moviepipe-local invoke is shown with (docs/local-cloud.md):
// each runs a scrape of one page and answers its report.
func TestSampleEvents(t *testing.T) {
	for _, file := range []string{"post-scrapes.json", "get-scrap-movies.json"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "events", file))
			if err != nil {
				t.Fatal(err)
			}
			var req events.APIGatewayProxyRequest
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatal(err)
			}
			h, _, _ := newHandler(t, 3)
			resp := h.API(t.Context(), req)
			var body map[string]any
			_ = json.Unmarshal([]byte(resp.Body), &body)
			if resp.StatusCode != http.StatusOK || body["pagesFetched"] != float64(1) {
				t.Fatalf("%d %s, want 200 with a report of one page", resp.StatusCode, resp.Body)
			}
		})
	}
}
