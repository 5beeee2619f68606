package faults_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/moviepipe/moviepipe/deploy/local/faults"
)

func TestParse(t *testing.T) {
	c, err := faults.Parse("dynamodb-throttle=0.3, kinesis-partial=0.2,latency=50ms@0.1,drop=0.01,seed=9")
	if err != nil || c.DynamoDBThrottle != 0.3 || c.KinesisPartial != 0.2 || c.Latency != 50*time.Millisecond || c.LatencyRate != 0.1 || c.Drop != 0.01 || c.Seed != 9 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"dynamodb-throttle=2", "nonsense=1", "latency=soon"} {
		if _, err := faults.Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Throttled DynamoDB calls get AWS's error body; control-plane calls pass.
func TestThrottleAnswersLikeAWS(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{}`) }))
	defer backend.Close()
	p, _ := faults.New(backend.URL, faults.Config{DynamoDBThrottle: 1})
	s := httptest.NewServer(p)
	defer s.Close()
	call := func(target string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", target)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("DynamoDB_20120810.PutItem"); code != http.StatusBadRequest ||
		!strings.Contains(body, "ProvisionedThroughputExceededException") && !strings.Contains(body, "ThrottlingException") {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := call("DynamoDB_20120810.DescribeTable"); code != http.StatusOK || body != `{}` {
		t.Fatalf("control plane: %d %s", code, body)
	}
	// Set stops the fault from the next request on.
	p.Set(faults.Config{})
	if code, body := call("DynamoDB_20120810.PutItem"); code != http.StatusOK || body != `{}` {
		t.Fatalf("after Set: %d %s", code, body)
	}
}
