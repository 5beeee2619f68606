package cloud_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/emulators"
	"github.com/moviepipe/moviepipe/deploy/local/xraylocal"
)

func root(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	r, err := emulators.FindRoot(wd)
	if err != nil {
		t.Fatal(err) // never skipped: the cloud cannot be tested without its emulators
	}
	return r
}

func request(t *testing.T, method, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

// scrapeRequest is POST {api}/scrapes signed with creds, as a user signs it,
// with headers given as name, value pairs.
func scrapeRequest(t testing.TB, api string, creds cloud.Credentials, body string, headers ...string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, api+"/scrapes", strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if err := cloud.Sign(req, []byte(body), creds, "execute-api"); err != nil {
		t.Fatal(err)
	}
	return req
}

// followRun reads GET {api}/scrapes/{runId}, signed, until the run ends:
// it succeeded with the counts the tables hold. The same Idempotency-Key
// again answers the same run and starts none.
func followRun(t *testing.T, c *cloud.Cloud, runID string, stored, parked int) {
	t.Helper()
	var run struct {
		RunID                              string `json:"runId"`
		State                              string
		Pages, Published, Rejected, Parked int
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, c.State.API+"/scrapes/"+runID, nil)
		if err := cloud.Sign(req, nil, c.State.Credentials, "execute-api"); err != nil {
			t.Fatal(err)
		}
		code, body := send(t, req)
		if err := json.Unmarshal([]byte(body), &run); code != http.StatusOK || err != nil {
			t.Fatalf("GET /scrapes/%s: %d %s", runID, code, body)
		}
		if run.State != "running" && run.State != "continued" || time.Now().After(deadline) {
			break
		}
	}
	if run.State != "succeeded" || run.RunID != runID || run.Pages == 0 || run.Published != stored || run.Parked != parked {
		t.Errorf("run status %+v, want succeeded with %d published and %d parked", run, stored, parked)
	}
	code, body := send(t, scrapeRequest(t, c.State.API, c.State.Credentials, `{}`, "Idempotency-Key", "e2e-1"))
	if err := json.Unmarshal([]byte(body), &run); code != http.StatusOK || err != nil || run.RunID != runID {
		t.Errorf("the same Idempotency-Key again: %d %s, want run %s's status", code, body, runID)
	}
}

// send does req and returns the status and body.
func send(t testing.TB, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// defaultTracePerRun is the scraper's bound on the sampled records of a run
// (scraper.DefaultTracePerRun, SCRAPE_TRACE_PER_RUN).
const defaultTracePerRun = 40

// checkTraceSize checks that a full-catalogue run's trace stays within
// X-Ray's trace document size limit, that its processor segments are the
// sampled records' (at most the scraper's bound, each annotated with the
// run id), and returns a sampled film that was stored.
func checkTraceSize(t *testing.T, c *cloud.Cloud, segs []xraylocal.Segment, traceID, runID string) string {
	t.Helper()
	sum, ok := c.XRay().Summary(traceID)
	if !ok || sum.LimitExceeded || sum.Bytes >= xraylocal.MaxTraceDocument/4 {
		t.Errorf("trace %+v: want well under X-Ray's %d bytes, not LimitExceeded", sum, xraylocal.MaxTraceDocument)
	}
	films := xraylocal.Films(segs)
	processor := 0
	for _, s := range segs {
		if s.Name == "processor" {
			processor++
		}
	}
	t.Logf("full-catalogue trace: %d bytes in %d segment documents (X-Ray's limit: %d bytes); %d processor segments for %d films",
		sum.Bytes, sum.Segments, xraylocal.MaxTraceDocument, processor, len(films))
	if len(films) == 0 || len(films) > defaultTracePerRun {
		t.Fatalf("%d sampled films in the trace, want 1 to %d", len(films), defaultTracePerRun)
	}
	for _, s := range segs {
		var ann map[string]any
		_ = json.Unmarshal(s.Annotations, &ann)
		if (s.Name == "processor" || strings.HasPrefix(s.Name, "PutRecords page ")) && ann["run_id"] != runID {
			t.Errorf("segment %s %s is not annotated run_id=%s: %s", s.Name, s.ID, runID, s.Annotations)
		}
	}
	film := films[len(films)/2]
	if code, body := request(t, "GET", c.State.API+"/movies/"+film, "", nil); code != http.StatusOK {
		t.Fatalf("sampled film %s: %d %s", film, code, body)
	}
	return film
}

// The acceptance of the local cloud: POST {api}/scrapes stores the
// catalogue, GET {api}/movies/{id} returns a film, and the scrape's trace
// holds the API Gateway, the scraper, the processor and DynamoDB under one
// trace id. Then nothing is left running, and the functions' log is JSON
// (checkJSONLogs).
func TestScrapeStoreServeTrace(t *testing.T) {
	r := root(t)
	var logs strings.Builder
	out := &syncWriter{w: &logs}
	base := freeBase(t) // the console, API and site on fixed ports, for bookmarks
	c, err := cloud.Up(t.Context(), cloud.Options{Root: r, Log: out, Ports: base})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
		if t.Failed() {
			out.mu.Lock()
			t.Log(tail(logs.String(), 4000))
			out.mu.Unlock()
		}
	}()
	if _, err := os.Stat(c.StatePath()); err != nil {
		t.Fatalf("state file: %v", err)
	}
	at := func(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }
	if c.State.Console != at(base) || c.State.API != at(base+1)+"/local" || c.State.Site != at(base+2) {
		t.Errorf("ports %d: console %s, api %s, site %s", base, c.State.Console, c.State.API, c.State.Site)
	}
	// Unsigned: refused as API Gateway refuses it.
	if code, body := request(t, "POST", c.State.API+"/scrapes", "", nil); code != http.StatusForbidden || !strings.Contains(body, "Missing Authentication Token") {
		t.Fatalf("unsigned scrape: %d %s", code, body)
	}
	keyed := scrapeRequest(t, c.State.API, c.State.Credentials, `{}`, "Idempotency-Key", "e2e-1")
	code, body := send(t, keyed)
	var rep struct {
		RunID, TraceID, Status string
	}
	_ = json.Unmarshal([]byte(body), &rep)
	if (code != http.StatusOK && code != http.StatusAccepted) || rep.TraceID == "" {
		t.Fatalf("scrape: %d %s", code, body)
	}

	// Every film with a title is stored; the one without is parked.
	wantStored := titledFilms(t, r)
	db := dynamodb.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(c.State.DynamoDB) })
	movies, errorsTable := c.State.Exports["moviepipe-local-MoviesTableName"], c.State.Exports["moviepipe-local-ErrorsTableName"]
	deadline := time.Now().Add(3 * time.Minute)
	stored := 0
	for time.Now().Before(deadline) {
		if stored = count(t, db, movies); stored >= wantStored {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if stored != wantStored {
		t.Fatalf("%d films stored, want %d", stored, wantStored)
	}
	if parked := count(t, db, errorsTable); parked != 3201-wantStored {
		t.Errorf("%d records parked, want %d", parked, 3201-wantStored)
	}
	followRun(t, c, rep.RunID, stored, 3201-wantStored)
	// The site answers the next scrape's conditional requests with 304:
	// nothing is published again.
	code, body = send(t, scrapeRequest(t, c.State.API, c.State.Credentials, `{}`))
	var again struct{ PagesFetched, PagesUnchanged, RecordsPublished int }
	if err := json.Unmarshal([]byte(body), &again); code != http.StatusOK || err != nil || again.PagesFetched == 0 ||
		again.PagesUnchanged != again.PagesFetched || again.RecordsPublished != 0 {
		t.Errorf("a second scrape of the unchanged site: %d %s", code, body)
	}

	// One film through the API.
	code, body = request(t, "GET", c.State.API+"/movies?limit=1", "", nil)
	var page struct {
		Items []struct{ ID, Title string } `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &page); code != http.StatusOK || err != nil || len(page.Items) != 1 {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body = request(t, "GET", c.State.API+"/movies/"+page.Items[0].ID, "", nil); code != http.StatusOK || !strings.Contains(body, page.Items[0].ID) {
		t.Fatalf("get: %d %s", code, body)
	}

	// The scrape's trace crosses the stream.
	code, body = request(t, "GET", c.State.Console+"/traces/"+rep.TraceID+".json", "", nil)
	var segs []xraylocal.Segment
	if err := json.Unmarshal([]byte(body), &segs); code != http.StatusOK || err != nil {
		t.Fatalf("trace: %d %.300s", code, body)
	}
	found := map[string]bool{}
	for _, s := range xraylocal.Waterfall(segs) {
		switch {
		case strings.HasSuffix(s.Name, "-moviepipe-scraper/local"):
			found["api gateway"] = true
		case s.Name == "moviepipe-scraper-local":
			found["scraper"] = true
		case strings.HasPrefix(s.Name, "PutRecords page "):
			found["PutRecords"] = true
		case s.Name == "processor":
			found["processor"] = true
		case s.Name == "DynamoDB" && s.Depth > 3:
			found["DynamoDB"] = true
		}
	}
	for _, want := range []string{"api gateway", "scraper", "PutRecords", "processor", "DynamoDB"} {
		if !found[want] {
			t.Errorf("trace %s has no %s segment", rep.TraceID, want)
		}
	}
	film := checkTraceSize(t, c, segs, rep.TraceID, rep.RunID)
	// The console lists the run and the error table.
	if code, body := request(t, "GET", c.State.Console+"/", "", nil); code != http.StatusOK ||
		!strings.Contains(body, rep.TraceID) || !strings.Contains(body, "scrape#"+rep.RunID) {
		t.Errorf("console index: %d, want the run's trace and its parked record", code)
	}
	// The waterfall page, as a person sees it.
	checkTracePage(t, r, c.State.Console, rep.TraceID, film)
	checkConsolePages(t, r, c.State.Console, rep.TraceID, rep.RunID, wantStored, 3201-wantStored)

	// Every call the functions made was allowed by their roles, and each
	// function's code used its role (the mappings' reads are checked when
	// they are made).
	perms := c.Permissions()
	if len(perms.Denied) != 0 {
		t.Errorf("denied calls in the happy path: %+v", perms.Denied)
	}
	used := map[string]bool{}
	for _, u := range perms.Used {
		used[strings.SplitN(u.Caller, "-", 3)[1]+" "+u.Action] = true
	}
	for _, want := range []string{"processor dynamodb:PutItem", "processor kinesis:GetRecords", "scraper kinesis:PutRecords", "scraper dynamodb:PutItem", "query dynamodb:GetItem"} {
		if !used[want] {
			t.Errorf("permission report lacks %s: %v", want, used)
		}
	}

	// Every line the functions and Lambda wrote is JSON; each record's lines
	// carry its run, movie and trace ids.
	checkJSONLogs(t, c.State.Logs, rep.RunID, rep.TraceID, page.Items[0].ID)

	pids := c.State.PIDs
	for _, h := range c.Hosts() {
		pids = append(pids, h.PIDs()...)
	}
	c.Close()
	closed = true
	for _, pid := range pids {
		for i := 0; running(pid); i++ {
			if i > 50 {
				t.Errorf("process %d still running after Close", pid)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if _, err := os.Stat(c.StatePath()); !os.IsNotExist(err) {
		t.Error("the state file outlived the cloud")
	}
}

func titledFilms(t *testing.T, root string) int {
	b, err := os.ReadFile(filepath.Join(root, "node_modules", "vega-datasets", "data", "movies.json"))
	if err != nil {
		t.Fatal(err)
	}
	var films []struct{ Title any }
	if err := json.Unmarshal(b, &films); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range films {
		if f.Title != nil {
			n++
		}
	}
	return n
}

func attr(v any) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func count(t *testing.T, db *dynamodb.Client, table string) int {
	n := 0
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table, Select: "COUNT"})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += int(out.Count)
	}
	return n
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// A cloud that cannot start returns the reason and leaves nothing running;
// it used to panic closing the half-built cloud.
func TestUpFailsCleanly(t *testing.T) {
	c, err := cloud.Up(context.Background(), cloud.Options{Root: t.TempDir(), Log: io.Discard})
	if err == nil {
		c.Close()
		t.Fatal("Up in an empty folder: no error")
	}
	if c != nil {
		t.Fatalf("Up failed (%v) but returned a cloud", err)
	}
}
