package processor_test

import (
	"bytes"
	"encoding/json"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/processor/dynamo"
	"github.com/moviepipe/moviepipe/processor/internal/dynamotest"
)

// dynamoStore returns a store on fresh tables in the emulator make test
// starts, with requests sent through rt when it is not nil.
func dynamoStore(t testing.TB, rt http.RoundTripper) (*dynamo.Store, *dynamodb.Client) {
	t.Helper()
	cfg := dynamotest.Config(t, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 20 * time.Millisecond
		})
	}))
	admin := dynamodb.NewFromConfig(cfg)
	movies, errs := dynamotest.Tables(t, admin)
	c := admin
	if rt != nil {
		c = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.HTTPClient = &http.Client{Transport: rt} })
	}
	return &dynamo.Store{API: c, MoviesTable: movies, ErrorsTable: errs, UnprocessedRetries: 3, Backoff: 5 * time.Millisecond}, admin
}

// scan returns every item of a table as sorted JSON lines.
func scan(t *testing.T, c *dynamodb.Client, table string) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			b, err := json.Marshal(item)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	sort.Strings(out)
	return out
}

func TestDynamoReplayLeavesTablesIdentical(t *testing.T) {
	store, c := dynamoStore(t, nil)
	h, reports := newHandler(store)
	ev := mixedBatch(t)
	wantStored, wantStale, wantParked, _ := wantMixed(t, ev)
	var movies, errs []string
	for round := range 3 {
		resp, err := h.Handle(t.Context(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("round %d: failures %v, err %v", round, failures(resp), err)
		}
		r := (*reports)[round]
		parked := 0
		for _, n := range r.Parked {
			parked += n
		}
		stored := wantStored
		if round > 0 {
			stored = 0 // a replay writes nothing new
		}
		if r.Stored != stored || r.Stale != len(ev.Records)-parked-stored || parked != wantParked {
			t.Fatalf("round %d: report %+v; want %d stored, %d stale, %d parked", round, r, stored, wantStale, wantParked)
		}
		m, e := scan(t, c, store.MoviesTable), scan(t, c, store.ErrorsTable)
		if len(m) != wantStored || len(e) != wantParked {
			t.Fatalf("round %d: %d movies, %d errors; want %d, %d", round, len(m), len(e), wantStored, wantParked)
		}
		if round > 0 && (!slices.Equal(m, movies) || !slices.Equal(e, errs)) {
			t.Fatalf("round %d changed the tables", round)
		}
		movies, errs = m, e
	}
}

func TestDynamoOlderAfterNewer(t *testing.T) {
	store, c := dynamoStore(t, nil)
	h, _ := newHandler(store)
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := h.Handle(t.Context(), event(1, record("tt0000001", "newer", t0.Add(time.Hour)))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Handle(t.Context(), event(2, record("tt0000001", "older", t0))); err != nil {
		t.Fatal(err)
	}
	items := scan(t, c, store.MoviesTable)
	if len(items) != 1 || !strings.Contains(items[0], `"newer"`) {
		t.Fatalf("table holds %v", items)
	}
}

func TestDynamoSameIDTwiceInBatch(t *testing.T) {
	store, c := dynamoStore(t, nil)
	h, reports := newHandler(store)
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	if _, err := h.Handle(t.Context(), event(1, record("tt0000001", "newest", t0.Add(time.Second)), record("tt0000001", "older", t0))); err != nil {
		t.Fatal(err)
	}
	items := scan(t, c, store.MoviesTable)
	if len(items) != 1 || !strings.Contains(items[0], `"newest"`) {
		t.Fatalf("table holds %v", items)
	}
	if r := (*reports)[0]; r.Stored != 1 || r.Stale != 1 {
		t.Fatalf("report %+v", r)
	}
}

// throttle answers requests of the given DynamoDB operation whose body holds
// match with AWS's real throttling error, while on is set.
type throttle struct {
	next   http.RoundTripper
	target string // X-Amz-Target suffix: PutItem, BatchWriteItem
	match  string
	body   string
	on     atomic.Bool
	hits   atomic.Int64
}

const (
	provisionedExceeded = `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}`
	throttlingException = `{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`
)

func (f *throttle) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.on.Load() && strings.HasSuffix(req.Header.Get("X-Amz-Target"), "."+f.target) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(f.match)) {
			f.hits.Add(1)
			return &http.Response{
				StatusCode: http.StatusBadRequest, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"THROTTLED"},
					"X-Amz-Crc32": {strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(f.body))), 10)}},
				Body:    io.NopCloser(strings.NewReader(f.body)),
				Request: req, ContentLength: int64(len(f.body)),
			}, nil
		}
	}
	return f.next.RoundTrip(req)
}

func TestDynamoThrottlingIsRetriedNothingLostOrDuplicated(t *testing.T) {
	for name, tc := range map[string]struct{ target, match, body string }{
		"PutItem ProvisionedThroughputExceeded": {"PutItem", "tt0000002", provisionedExceeded},
		"PutItem Throttling":                    {"PutItem", "tt0000003", throttlingException},
		"parking BatchWriteItem Throttling":     {"BatchWriteItem", "process#", throttlingException},
	} {
		t.Run(name, func(t *testing.T) {
			f := &throttle{next: http.DefaultTransport, target: tc.target, match: tc.match, body: tc.body}
			f.on.Store(true)
			store, c := dynamoStore(t, f)
			h, reports := newHandler(store)
			t0 := scraped
			ev := event(1, record("tt0000001", "a", t0), record("tt0000002", "b", t0), []byte("not json"), record("tt0000003", "c", t0), record("tt0000004", "d", t0))
			resp, err := h.Handle(t.Context(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if f.hits.Load() == 0 || len(resp.BatchItemFailures) == 0 {
				t.Fatalf("throttled %d times, failures %v; want the affected records reported", f.hits.Load(), failures(resp))
			}
			// Lambda delivers again from the lowest failed record on.
			f.on.Store(false)
			from := len(ev.Records)
			for _, f := range resp.BatchItemFailures {
				from = min(from, slices.IndexFunc(ev.Records, func(r events.KinesisEventRecord) bool { return r.Kinesis.SequenceNumber == f.ItemIdentifier }))
			}
			resp, err = h.Handle(t.Context(), events.KinesisEvent{Records: ev.Records[from:]})
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("second delivery: failures %v, err %v", failures(resp), err)
			}
			if m, e := scan(t, c, store.MoviesTable), scan(t, c, store.ErrorsTable); len(m) != 4 || len(e) != 1 {
				t.Fatalf("%d movies, %d errors after redelivery; want 4, 1; reports %+v", len(m), len(e), *reports)
			}
		})
	}
}
