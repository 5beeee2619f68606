package cloud

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

// synthRun is a scrape's trace as the SDKs send it: API Gateway, the
// scraper's segment with a lease call, per page a GET and a PutRecords
// (a Kinesis call nested in it), and per record a processor segment
// continuing the PutRecords, with its DynamoDB write nested. Record i of a
// page takes i ms; t0 is when the run starts, fn how long the scraper ran.
type synthRun struct {
	trace, run     string // run, when set, is annotated on the scraper's segment
	pages, perPage int
	t0, fn         float64
	failed         string // the movie whose processor segment fails
	cut            int    // a page whose first GET the deadline cut short, asked again
}

func (r synthRun) segments() []xraylocal.Segment {
	id := func(s string, a ...any) string { return r.trace + "-" + fmt.Sprintf(s, a...) }
	seg := func(sid, parent, name string, from, to float64) xraylocal.Segment {
		return xraylocal.Segment{ID: sid, TraceID: r.trace, ParentID: parent, Name: name, StartTime: from, EndTime: to}
	}
	api := seg(id("api"), "", "local-moviepipe-scraper/local", r.t0, r.t0+r.fn+0.01)
	api.Origin = apiGatewayOrigin
	fn := seg(id("fn"), api.ID, "moviepipe-scraper-local", r.t0+0.001, r.t0+r.fn)
	if r.run != "" {
		fn.Annotations = json.RawMessage(`{"run_id":"` + r.run + `"}`)
	}
	lease := seg(id("lease"), fn.ID, "DynamoDB", r.t0+0.002, r.t0+0.004)
	lease.Type, lease.Namespace = "subsegment", "aws"
	out := []xraylocal.Segment{api, fn, lease}
	for p := 1; p <= r.pages; p++ {
		start := r.t0 + float64(p)
		get := seg(id("get%d", p), fn.ID, fmt.Sprintf("GET page %d", p), start, start+0.1)
		put := seg(id("put%d", p), fn.ID, fmt.Sprintf("PutRecords page %d", p), start+0.1, start+0.3)
		get.Type, put.Type = "subsegment", "subsegment"
		if p == r.cut {
			first := seg(id("cut%d", p), fn.ID, get.Name, start-0.5, start-0.1)
			first.Type, first.Fault = "subsegment", true
			out = append(out, first)
		}
		kinesis := seg(id("kin%d", p), fn.ID, "Kinesis", start+0.15, start+0.3) // the SDK's parent_id: the function's
		kinesis.Namespace = "aws"
		put.Subsegments = []xraylocal.Segment{kinesis}
		out = append(out, get, put)
		for i := 1; i <= r.perPage; i++ {
			at, movie := start+0.3, fmt.Sprintf("mv-%d-%d", p, i)
			rec := seg(id("rec%d-%d", p, i), put.ID, "processor", at, at+float64(i)/1000)
			rec.Annotations = json.RawMessage(`{"movie_id":"` + movie + `"}`)
			rec.Error = movie == r.failed
			write := seg(id("ddb%d-%d", p, i), rec.ID, "DynamoDB", at, at+float64(i)/1000)
			write.Namespace = "aws"
			rec.Subsegments = []xraylocal.Segment{write}
			out = append(out, rec)
		}
	}
	return out
}

var (
	runA = synthRun{trace: "1-aaaa", pages: 2, perPage: 100, t0: 1000, fn: 9.9, failed: "mv-2-3", cut: 1}
	runB = synthRun{trace: "1-bbbb", run: "run-b", pages: 1, perPage: 100, t0: 2000, fn: 4.9}
)

// fakeDynamo answers the console's Scans: the error table's items, and
// for the movies table the count of the films of a run, by stored.
func fakeDynamo(t *testing.T, errs []map[string]string, stored map[string]int) *dynamodb.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			TableName                 string
			ExpressionAttributeValues map[string]map[string]string
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &in); err != nil || r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.Scan" {
			http.Error(w, "unexpected call", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if in.TableName == "moviepipe-local-movies" {
			n := stored[in.ExpressionAttributeValues[":run"]["S"]]
			_ = json.NewEncoder(w).Encode(map[string]int{"Count": n, "ScannedCount": n})
			return
		}
		var items []map[string]map[string]string
		for _, e := range errs {
			item := map[string]map[string]string{}
			for k, v := range e {
				item[k] = map[string]string{"S": v}
			}
			items = append(items, item)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"Items": items, "Count": len(items), "ScannedCount": len(items)})
	}))
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
}

var testErrors = []map[string]string{
	{"errorId": "scrape#run-a#0#4", "stage": "scrape", "reason": "invalid_record", "runId": "run-a", "movieId": "mv-1-4",
		"traceHeader": "Root=1-aaaa;Parent=1-aaaa-put1;Sampled=1", "occurredAt": "1970-01-01T00:16:41.5Z"},
	{"errorId": "process#1", "stage": "process", "reason": "invalid_record", "runId": "run-a", "movieId": "mv-1-7",
		"traceHeader": "Root=1-aaaa;Parent=1-aaaa-put1;Sampled=1", "occurredAt": "1970-01-01T00:16:42Z"},
	{"errorId": "process#2", "stage": "process", "reason": "undecodable", "runId": "run-b", "occurredAt": "1970-01-01T00:33:21Z"},
	{"errorId": "scrape#run-b#0#9", "stage": "scrape", "reason": "publish_failed", "runId": "run-b", "movieId": "mv-1-9",
		"occurredAt": "1970-01-01T00:33:22Z"},
}

// testConsole serves the console of a cloud whose daemon holds runA and
// runB, with the error table of testErrors; the movies table holds 400
// films of runA's run.
func testConsole(t *testing.T) string {
	d, err := xraylocal.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	for _, r := range []synthRun{runA, runB} {
		for _, s := range r.segments() {
			d.Put(s)
		}
	}
	for _, s := range queryTrace() {
		d.Put(s)
	}
	c := &Cloud{xray: d, dynamo: fakeDynamo(t, testErrors, map[string]int{"run-a": 400})}
	c.State.Stage = "local"
	c.State.Exports = map[string]string{"moviepipe-local-MoviesTableName": "moviepipe-local-movies",
		"moviepipe-local-ErrorsTableName": "moviepipe-local-errors"}
	srv := httptest.NewServer(c.console())
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// queryTrace is a GET /movies/{id}: API Gateway, the query API's
// function, its DynamoDB read; no page, no record.
func queryTrace() []xraylocal.Segment {
	api := xraylocal.Segment{ID: "q-api", TraceID: "1-cccc", Name: "local-moviepipe-query-api/local", Origin: apiGatewayOrigin,
		StartTime: 3000, EndTime: 3000.02}
	fn := xraylocal.Segment{ID: "q-fn", TraceID: "1-cccc", ParentID: api.ID, Name: "moviepipe-query-api-local",
		Origin: "AWS::Lambda::Function", StartTime: 3000.001, EndTime: 3000.019}
	read := xraylocal.Segment{ID: "q-ddb", TraceID: "1-cccc", ParentID: fn.ID, Name: "DynamoDB", Type: "subsegment", Namespace: "aws",
		StartTime: 3000.002, EndTime: 3000.012}
	return []xraylocal.Segment{api, fn, read}
}
