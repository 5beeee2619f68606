package sqslocal_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
)

// postForm posts a query-protocol form and returns the status and body.
func postForm(t *testing.T, base string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.Post(base+"/", "application/x-www-form-urlencoded; charset=utf-8", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The query protocol older clients speak (Debian 12's AWS CLI among them),
// a form in and XML out, serves the same queues: a queue's URL, its
// attributes as Name/Value pairs, and SQS's error for an unknown queue.
func TestQueryProtocol(t *testing.T) {
	srv := sqslocal.New("us-east-1", "000000000000")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	srv.BaseURL = hs.URL
	queueURL, _ := srv.CreateQueue("failures", map[string]string{"MessageRetentionPeriod": "1209600"})
	if err := srv.Send("arn:aws:sqs:us-east-1:000000000000:failures", "m"); err != nil {
		t.Fatal(err)
	}
	v := "2012-11-05"
	code, body := postForm(t, hs.URL, map[string][]string{"Action": {"GetQueueUrl"}, "Version": {v}, "QueueName": {"failures"}})
	if code != 200 || !strings.Contains(body, "<GetQueueUrlResult><QueueUrl>"+queueURL+"</QueueUrl></GetQueueUrlResult>") {
		t.Errorf("GetQueueUrl: %d %s", code, body)
	}
	code, body = postForm(t, hs.URL, map[string][]string{"Action": {"GetQueueAttributes"}, "Version": {v}, "QueueUrl": {queueURL}, "AttributeName.1": {"All"}})
	for _, want := range []string{"<GetQueueAttributesResponse ", "<Attribute><Name>ApproximateNumberOfMessages</Name><Value>1</Value></Attribute>",
		"<Attribute><Name>MessageRetentionPeriod</Name><Value>1209600</Value></Attribute>",
		"<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:000000000000:failures</Value></Attribute>", "<RequestId>"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GetQueueAttributes: %d, no %s in %s", code, want, body)
		}
	}
	code, body = postForm(t, hs.URL, map[string][]string{"Action": {"GetQueueAttributes"}, "Version": {v}, "QueueUrl": {queueURL + "x"}})
	if code != 400 || !strings.Contains(body, "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>") || !strings.Contains(body, "<ErrorResponse ") {
		t.Errorf("an unknown queue: %d %s", code, body)
	}
	code, body = postForm(t, hs.URL, map[string][]string{"Action": {"GetQueueUrl"}, "Version": {"2008-01-01"}, "QueueName": {"failures"}})
	if code != 400 || !strings.Contains(body, "<Code>InvalidParameterValue</Code>") {
		t.Errorf("another API version: %d %s", code, body)
	}
}
