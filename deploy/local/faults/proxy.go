// Package faults injects AWS's own failures between the functions and the
// emulators, at configured rates: DynamoDB ProvisionedThroughputExceeded and
// Throttling errors, Kinesis PutRecords partial failures (the failed entries
// are not written, as on AWS), added latency and dropped connections. The
// answers are AWS's real error bodies, so the SDKs parse and retry them as
// they would in production.
package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config sets the rates, each from 0 to 1.
type Config struct {
	DynamoDBThrottle float64 // writes and reads answered 400 ProvisionedThroughputExceeded / Throttling
	KinesisPartial   float64 // PutRecords entries answered with an ErrorCode
	Latency          time.Duration
	LatencyRate      float64
	Drop             float64 // connections closed without an answer
	Seed             uint64
}

// Parse reads "dynamodb-throttle=0.3,kinesis-partial=0.2,latency=50ms@0.1,drop=0.01".
func Parse(s string) (Config, error) {
	var c Config
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		var err error
		switch k {
		case "dynamodb-throttle":
			c.DynamoDBThrottle, err = rate(v)
		case "kinesis-partial":
			c.KinesisPartial, err = rate(v)
		case "drop":
			c.Drop, err = rate(v)
		case "latency":
			d, r, _ := strings.Cut(v, "@")
			if c.Latency, err = time.ParseDuration(d); err == nil {
				c.LatencyRate = 1
				if r != "" {
					c.LatencyRate, err = rate(r)
				}
			}
		case "seed":
			c.Seed, err = strconv.ParseUint(v, 10, 64)
		default:
			err = fmt.Errorf("unknown fault %q", k)
		}
		if err != nil {
			return c, fmt.Errorf("faults %q: %w", part, err)
		}
	}
	return c, nil
}

func rate(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1 {
		return 0, fmt.Errorf("want a rate from 0 to 1, got %q", v)
	}
	return f, nil
}

// Counts says what was injected.
type Counts struct {
	Throttled, FailedEntries, Delayed, Dropped atomic.Int64
}

// Proxy forwards to one emulator and injects faults.
type Proxy struct {
	cfg    atomic.Pointer[Config]
	target *url.URL
	proxy  *httputil.ReverseProxy
	mu     sync.Mutex
	rng    *rand.Rand
	Counts Counts
}

// New returns a proxy to target.
func New(target string, cfg Config) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: u, proxy: httputil.NewSingleHostReverseProxy(u), rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))}
	p.cfg.Store(&cfg)
	return p, nil
}

// Set changes the rates from the next request on (the seed stays): a test
// makes a fault start or stop while the cloud runs.
func (p *Proxy) Set(cfg Config) { p.cfg.Store(&cfg) }

func (p *Proxy) chance(r float64) bool {
	if r <= 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.Float64() < r
}

// dynamoOps are the calls throttling applies to (not the control plane).
var dynamoOps = map[string]bool{"PutItem": true, "BatchWriteItem": true, "UpdateItem": true, "DeleteItem": true,
	"GetItem": true, "Query": true, "Scan": true, "BatchGetItem": true}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	service, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	cfg := p.cfg.Load()
	if p.chance(cfg.Drop) {
		p.Counts.Dropped.Add(1)
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	if p.chance(cfg.LatencyRate) && cfg.Latency > 0 {
		p.Counts.Delayed.Add(1)
		time.Sleep(cfg.Latency)
	}
	switch {
	case strings.HasPrefix(service, "DynamoDB") && dynamoOps[op] && p.chance(cfg.DynamoDBThrottle):
		p.Counts.Throttled.Add(1)
		body := `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}`
		if p.chance(0.5) {
			body = `{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "FAULT"+strconv.FormatInt(time.Now().UnixNano(), 36))
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, body)
		return
	case strings.HasPrefix(service, "Kinesis") && op == "PutRecords" && cfg.KinesisPartial > 0:
		p.putRecords(w, r, cfg.KinesisPartial)
		return
	}
	p.proxy.ServeHTTP(w, r)
}

// putRecords sends only the entries chosen to pass (each fails at rate),
// and answers for the others as Kinesis does for a throttled shard.
func (p *Proxy) putRecords(w http.ResponseWriter, r *http.Request, rate float64) {
	body, _ := io.ReadAll(r.Body)
	var in map[string]json.RawMessage
	var records []json.RawMessage
	if json.Unmarshal(body, &in) != nil || json.Unmarshal(in["Records"], &records) != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.proxy.ServeHTTP(w, r)
		return
	}
	var send []json.RawMessage
	var pos []int
	results := make([]map[string]any, len(records))
	failed := 0
	for i, rec := range records {
		if p.chance(rate) {
			failed++
			results[i] = map[string]any{"ErrorCode": "ProvisionedThroughputExceededException",
				"ErrorMessage": "Rate exceeded for shard shardId-000000000000 in stream under account 000000000000."}
			continue
		}
		send = append(send, rec)
		pos = append(pos, i)
	}
	p.Counts.FailedEntries.Add(int64(failed))
	if len(send) > 0 {
		in["Records"], _ = json.Marshal(send)
		fwd, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target.String()+r.URL.Path, bytes.NewReader(fwd))
		req.Header = r.Header.Clone()
		req.ContentLength = int64(len(fwd))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		var real struct {
			FailedRecordCount int
			Records           []map[string]any
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &real) != nil || len(real.Records) != len(send) {
			w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
			w.WriteHeader(resp.StatusCode)
			_, _ = w.Write(out)
			return
		}
		for k, rec := range real.Records {
			results[pos[k]] = rec
		}
		failed += real.FailedRecordCount
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"FailedRecordCount": failed, "Records": results})
}
