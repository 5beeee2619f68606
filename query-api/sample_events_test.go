package queryapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// The sample events of testdata/events, one per route as API Gateway sends
// it, which moviepipe-local invoke is shown with (docs/local-cloud.md):
// each is answered 200 with what its route serves. get-movie.json asks for
// the valid film of the processor's sample Kinesis batch.
func TestSampleEvents(t *testing.T) {
	h, _ := newHandler(t)
	for file, want := range map[string]string{
		"get-movie.json":   `"id":"mv-le-fabuleux-destin-d-amelie-poulain-2001-0b7e11c2"`,
		"list-movies.json": `"count":2`,
	} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "events", file))
			if err != nil {
				t.Fatal(err)
			}
			var req events.APIGatewayProxyRequest
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatal(err)
			}
			resp := do(t, h, req)
			if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, want) {
				t.Fatalf("%d %.300s, want 200 with %s", resp.StatusCode, resp.Body, want)
			}
		})
	}
}
