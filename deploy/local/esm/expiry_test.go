package esm_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/esm"
)

// expirer stands before kinesis-local and, once armed, lets the iterator
// of the next GetRecords expire: that call and every later one with the
// same iterator get kinesis-local's ExpiredIteratorException, as an
// iterator older than 5 minutes would. Everything else passes.
type expirer struct {
	proxy    *httputil.ReverseProxy
	status   int
	header   http.Header
	body     []byte
	mu       sync.Mutex
	armed    bool
	dead     map[string]bool
	expired  int                             // answers sent
	renewals []kinesis.GetShardIteratorInput // GetShardIterator calls since the first expiry
}

// newExpirer builds the expired answer from one of kinesis-local's own:
// its error answer to a GetRecords with a bad Limit, with the type and the
// message its source gives an expired iterator.
func newExpirer(t *testing.T, target string, iter *string) *expirer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader([]byte(`{"ShardIterator":"`+*iter+`","Limit":0}`)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Kinesis_20131202.GetRecords")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Type string `json:"__type"`
	}
	b, _ := io.ReadAll(resp.Body)
	if json.Unmarshal(b, &e) != nil || e.Type != "InvalidArgumentException" || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("kinesis-local answered %d %s; want its InvalidArgumentException", resp.StatusCode, b)
	}
	u, _ := url.Parse(target)
	body, _ := json.Marshal(map[string]string{"__type": "ExpiredIteratorException",
		"message": "The shard iterator has expired. Shard iterators are only valid for 300 seconds"})
	return &expirer{proxy: httputil.NewSingleHostReverseProxy(u), status: resp.StatusCode, header: resp.Header.Clone(), body: body, dead: map[string]bool{}}
}

func (x *expirer) arm() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.armed = true
}

func (x *expirer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		ShardIterator          string
		ShardIteratorType      types.ShardIteratorType
		StartingSequenceNumber *string
	}
	_ = json.Unmarshal(body, &in)
	x.mu.Lock()
	switch r.Header.Get("X-Amz-Target") {
	case "Kinesis_20131202.GetRecords":
		if x.armed {
			x.armed, x.dead[in.ShardIterator] = false, true
		}
		if x.dead[in.ShardIterator] {
			x.expired++
			x.mu.Unlock()
			for k, v := range x.header {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(x.status)
			_, _ = w.Write(x.body)
			return
		}
	case "Kinesis_20131202.GetShardIterator":
		if x.expired > 0 {
			x.renewals = append(x.renewals, kinesis.GetShardIteratorInput{ShardIteratorType: in.ShardIteratorType, StartingSequenceNumber: in.StartingSequenceNumber})
		}
	}
	x.mu.Unlock()
	x.proxy.ServeHTTP(w, r)
}

func (x *expirer) counts() (expired int, renewals []kinesis.GetShardIteratorInput) {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.expired, append([]kinesis.GetShardIteratorInput(nil), x.renewals...)
}

// A shard whose iterator expires while a batch is being retried goes on
// with a new iterator that starts after the last checkpoint (at the first
// record not done), never uses the dead one again, and loses and
// duplicates nothing: every record is processed once, in order.
func TestExpiredIteratorResumesAfterTheCheckpoint(t *testing.T) {
	r := newRig(t)
	r.put(`{}`, `{}`, `{"fail":"item","until":"release"}`, `{}`, `{}`)
	it, err := r.client.GetShardIterator(t.Context(), &kinesis.GetShardIteratorInput{StreamName: &r.stream,
		ShardId: aws.String("shardId-000000000000"), ShardIteratorType: types.ShardIteratorTypeLatest})
	if err != nil {
		t.Fatal(err)
	}
	x := newExpirer(t, os.Getenv("AWS_ENDPOINT_URL_KINESIS"), it.ShardIterator)
	srv := httptest.NewServer(x)
	defer srv.Close()
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	viaProxy := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	stop, m := r.runWith(options{client: viaProxy}, func(c *esm.Config) { c.BatchSize = 10 })
	defer stop()

	r.until("the batch retried", func() bool { return len(r.invocations()) >= 2 })
	x.arm()
	r.until("the iterator expired and renewed", func() bool { _, ren := x.counts(); return len(ren) > 0 })
	r.put(`{}`, `{}`) // read with the new iterator only
	r.until("the batch retried after the renewal", func() bool { return len(r.invocations()) >= 4 })
	if err := os.WriteFile(filepath.Join(r.state, "release"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r.until("the checkpoint at the end", r.checkpointed(m))

	expired, renewals := x.counts()
	if expired != 1 {
		t.Errorf("GetRecords answered ExpiredIteratorException %d times: the dead iterator was used again", expired)
	}
	if first := renewals[0]; first.ShardIteratorType != types.ShardIteratorTypeAtSequenceNumber || aws.ToString(first.StartingSequenceNumber) != r.sent[2] {
		t.Errorf("new iterator %s %s, want AT_SEQUENCE_NUMBER of record 2, the first not done", first.ShardIteratorType, aws.ToString(first.StartingSequenceNumber))
	}
	got := r.processed()
	r.onceEach(got)
	if !sortedInts(got) {
		t.Errorf("processed out of order: %v", got)
	}
}

func sortedInts(v []int) bool {
	for i := 1; i < len(v); i++ {
		if v[i] < v[i-1] {
			return false
		}
	}
	return true
}
