package cloud_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
)

// rig is a running local cloud and its tables.
type rig struct {
	t              *testing.T
	c              *cloud.Cloud
	db             *dynamodb.Client
	kin            *kinesis.Client
	movies, errors string
	stream         string
	logs           *syncWriter
}

func up(t *testing.T, o cloud.Options) *rig {
	t.Helper()
	o.Root = root(t)
	var b strings.Builder
	logs := &syncWriter{w: &b}
	o.Log = logs
	c, err := cloud.Up(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			logs.mu.Lock()
			t.Log(tail(b.String(), 20000))
			logs.mu.Unlock()
		}
	})
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	return &rig{t: t, c: c, logs: logs,
		db:     dynamodb.NewFromConfig(cfg, func(op *dynamodb.Options) { op.BaseEndpoint = aws.String(c.State.DynamoDB) }),
		kin:    kinesis.NewFromConfig(cfg, func(op *kinesis.Options) { op.BaseEndpoint = aws.String(c.State.Kinesis) }),
		movies: c.State.Exports["moviepipe-local-MoviesTableName"], errors: c.State.Exports["moviepipe-local-ErrorsTableName"],
		stream: c.State.Exports["moviepipe-local-StreamName"]}
}

type report struct {
	RunID, TraceID, Status string
	PagesFetched           int
	RecordsPublished       int
	RecordsRejected        int
	PublishFailures        int
	Errors                 []string
}

func (r *rig) scrape(body string) (int, report) {
	r.t.Helper()
	code, b := send(r.t, scrapeRequest(r.t, r.c.State.API, r.c.State.Credentials, body))
	var rep report
	if err := json.Unmarshal([]byte(b), &rep); err != nil {
		r.t.Fatalf("scrape answered %d %s", code, b)
	}
	return code, rep
}

// settle waits until the functions are idle, every mapping is caught up and
// the tables stop changing; it returns the films stored.
func (r *rig) settle(timeout time.Duration) int {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		busy := 0
		for _, h := range r.c.Hosts() {
			busy += h.Busy()
		}
		caught := true
		for _, m := range r.c.Mappings() {
			for _, s := range m {
				caught = caught && s.Behind == 0 && s.CaughtUp
			}
		}
		n := count(r.t, r.db, r.movies)*100000 + count(r.t, r.db, r.errors)
		if n != last || busy > 0 || !caught {
			last, since = n, time.Now()
		} else if time.Since(since) > 2*time.Second {
			return n / 100000
		}
		time.Sleep(250 * time.Millisecond)
	}
	r.t.Fatalf("the pipeline did not settle in %s", timeout)
	return 0
}

// parked counts the error table's entries by stage/reason.
func (r *rig) parked() map[string]int {
	out := map[string]int{}
	p := dynamodb.NewScanPaginator(r.db, &dynamodb.ScanInput{TableName: &r.errors, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, it := range page.Items {
			out[attr(it["stage"])+"/"+attr(it["reason"])]++
		}
	}
	return out
}

func (r *rig) scan(table string) []string {
	var out []string
	p := dynamodb.NewScanPaginator(r.db, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			r.t.Fatal(err)
		}
		for _, it := range page.Items {
			b, _ := json.Marshal(it)
			out = append(out, string(b))
		}
	}
	sort.Strings(out)
	return out
}

// Scenarios 1 and 2: 100 poison records among the catalogue's are parked
// with their reasons, every film is stored, no shard is stuck; and replaying
// the whole stream three times leaves both tables exactly as they were.
func TestPoisonRecordsThenReplay(t *testing.T) {
	r := up(t, cloud.Options{})
	films := titledFilms(t, root(t))
	rng := rand.New(rand.NewPCG(1, 2))
	var poison []ktypes.PutRecordsRequestEntry
	want := map[string]int{}
	for i := range 100 {
		var data []byte
		switch {
		case i < 40:
			data = fmt.Appendf(nil, `{"schema":"movie-record.v1","id":"tt%07d","title":"Poison %d","year":2500,"sourceUrl":"https://x.example/","scrapedAt":"2026-11-26T00:00:00Z","runId":"poison"}`, 9000000+i, i)
			want["process/invalid_record"]++
		case i < 70:
			data = make([]byte, 20+rng.IntN(200))
			for j := range data {
				data[j] = byte(rng.IntN(256))
			}
			data[0] = 0xff // never JSON
			want["process/undecodable"]++
		default:
			data = bytes.Repeat([]byte(" "), 70<<10)
			copy(data, `{"schema":"movie-record.v1","id":"tt8888888","title":"`)
			want["process/oversized"]++
		}
		poison = append(poison, ktypes.PutRecordsRequestEntry{Data: data, PartitionKey: aws.String(fmt.Sprintf("poison-%d", rng.IntN(1000)))})
	}
	rng.Shuffle(len(poison), func(i, j int) { poison[i], poison[j] = poison[j], poison[i] })
	done := make(chan report, 1)
	go func() {
		req := scrapeRequest(t, r.c.State.API, r.c.State.Credentials, `{}`)
		var rep report
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&rep)
			resp.Body.Close()
		}
		done <- rep
	}()
	// Poison goes in while the catalogue streams, ten at a time.
	for i := 0; i < len(poison); i += 10 {
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
		out, err := r.kin.PutRecords(t.Context(), &kinesis.PutRecordsInput{StreamName: &r.stream, Records: poison[i : i+10]})
		if err != nil || aws.ToInt32(out.FailedRecordCount) != 0 {
			t.Fatalf("put poison: %v %v", err, out)
		}
	}
	rep := <-done
	if stored := r.settle(3 * time.Minute); stored != films {
		t.Fatalf("%d films stored, want %d (report %+v)", stored, films, rep)
	}
	want["scrape/invalid_record"] = 3201 - films
	if got := r.parked(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("parked %v, want %v", got, want)
	}
	for _, m := range r.c.Mappings() {
		for shard, s := range m {
			if !s.CaughtUp || s.Behind != 0 || s.Destination != 0 {
				t.Errorf("shard %s is not at the end: %+v", shard, s)
			}
		}
	}

	movies, errs := r.scan(r.movies), r.scan(r.errors)
	for i := range 3 {
		if err := r.c.Replay(t.Context()); err != nil {
			t.Fatal(err)
		}
		r.settle(time.Minute)
		if !slices.Equal(r.scan(r.movies), movies) || !slices.Equal(r.scan(r.errors), errs) {
			t.Fatalf("replay %d changed the tables", i+1)
		}
	}
}

// A replay of the whole stream from TRIM_HORIZON, through a second mapping,
// while the next scrape is being stored by the live one: the replay writes
// the older scrape's records at the same time as the live mapping writes the
// newer ones, and the table ends as the live mapping alone leaves it, every
// film from the newer scrape (docs/operations.md).
func TestReplayWhileScraping(t *testing.T) {
	r := up(t, cloud.Options{})
	films := titledFilms(t, root(t))
	if code, first := r.scrape(`{}`); code >= 300 || first.RunID == "" {
		t.Fatalf("first scrape answered %d: %+v", code, first)
	}
	if stored := r.settle(3 * time.Minute); stored != films {
		t.Fatalf("%d films stored after the first scrape, want %d", stored, films)
	}
	second := make(chan report, 1)
	go func() { _, rep := r.scrape(`{"force": true}`); second <- rep }() // every page again, unchanged as they are
	time.Sleep(500 * time.Millisecond)                                   // the live mapping is storing the second scrape
	if err := r.c.Replay(t.Context()); err != nil {
		t.Fatal(err)
	}
	rep := <-second
	if rep.RunID == "" {
		t.Fatalf("second scrape: %+v", rep)
	}
	if stored := r.settle(3 * time.Minute); stored != films {
		t.Fatalf("%d films stored, want %d", stored, films)
	}
	runs := map[string]int{}
	p := dynamodb.NewScanPaginator(r.db, &dynamodb.ScanInput{TableName: &r.movies, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			runs[attr(it["runId"])]++
		}
	}
	if len(runs) != 1 || runs[rep.RunID] != films {
		t.Fatalf("films by run %v; want all %d from the second run %s", runs, films, rep.RunID)
	}
	if got := r.parked(); len(got) != 1 || got["scrape/invalid_record"] != 2*(3201-films) {
		t.Fatalf("parked %v; want only the scraper's refusals of both runs", got)
	}
}

// Scenario 3: DynamoDB throttling at 30%: nothing lost, nothing duplicated.
func TestDynamoDBThrottling(t *testing.T) {
	r := up(t, cloud.Options{Faults: &faults.Config{DynamoDBThrottle: 0.3, Seed: 7}})
	films := titledFilms(t, root(t))
	r.scrape(`{}`)
	// A bound, not a speed goal: at 30% throttling the SDK's client-side
	// retry quota runs dry, the failed writes go back to the mapping as
	// batch item failures and are retried from there, which took from 2.5
	// to over 3 minutes on a 2-core VM.
	if stored := r.settle(6 * time.Minute); stored != films {
		t.Fatalf("%d films stored, want %d", stored, films)
	}
	if got := r.parked(); len(got) != 1 || got["scrape/invalid_record"] != 3201-films {
		t.Fatalf("parked %v: throttling must never park a record", got)
	}
	if n := r.c.Faults()[1].Counts.Throttled.Load(); n < 100 {
		t.Fatalf("only %d requests throttled", n)
	}
}

// Scenario 4: PutRecords partial failures at 20%: nothing lost.
func TestPutRecordsPartialFailures(t *testing.T) {
	r := up(t, cloud.Options{Faults: &faults.Config{KinesisPartial: 0.2, Seed: 11}, Env: map[string]string{"PUBLISH_ATTEMPTS": "10"}})
	films := titledFilms(t, root(t))
	_, rep := r.scrape(`{}`)
	if stored := r.settle(3 * time.Minute); stored != films {
		t.Fatalf("%d films stored, want %d (report %+v)", stored, films, rep)
	}
	if rep.PublishFailures != 0 || r.parked()["scrape/publish_failed"] != 0 {
		t.Fatalf("records not published: %+v", rep)
	}
	if n := r.c.Faults()[0].Counts.FailedEntries.Load(); n < 300 {
		t.Fatalf("only %d entries failed", n)
	}
}

// Scenario 5: the processor killed with SIGKILL mid-batch five times:
// nothing lost.
func TestProcessorKilled(t *testing.T) {
	r := up(t, cloud.Options{})
	films := titledFilms(t, root(t))
	var processor interface{ PIDs() []int }
	for _, h := range r.c.Hosts() {
		if strings.HasPrefix(h.Name(), "moviepipe-processor") {
			processor = h
		}
	}
	go func() {
		req := scrapeRequest(t, r.c.State.API, r.c.State.Credentials, `{}`)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	kills := 0
	for deadline := time.Now().Add(time.Minute); kills < 5 && time.Now().Before(deadline); {
		for _, pid := range processor.PIDs() {
			if kills < 5 && syscall.Kill(pid, syscall.SIGKILL) == nil {
				kills++
			}
		}
		time.Sleep(time.Duration(300+rand.IntN(500)) * time.Millisecond)
	}
	if kills != 5 {
		t.Fatalf("killed the processor %d times", kills)
	}
	if stored := r.settle(3 * time.Minute); stored != films {
		t.Fatalf("%d films stored, want %d", stored, films)
	}
}

// Scenario 6: each site fault is named in the run report; nothing crashes;
// nothing reaches a refused address.
func TestSiteFaults(t *testing.T) {
	r := up(t, cloud.Options{Env: map[string]string{"SCRAPE_TIMEOUT": "2s"}})
	var scraper interface{ Recycle() }
	for _, h := range r.c.Hosts() {
		if strings.HasPrefix(h.Name(), "moviepipe-scraper") {
			scraper = h
		}
	}
	for mode, want := range map[string]string{
		"500":       "500 Internal Server Error",
		"timeout":   "timeout",
		"slow":      "deadline exceeded",
		"oversized": "body too large",
		"metadata":  "refused to connect to 169.254.169.254",
		"robots":    "disallowed by robots.txt",
	} {
		t.Run(mode, func(t *testing.T) {
			r.c.SetSiteFault(mode)
			defer r.c.SetSiteFault("")
			scraper.Recycle() // a fresh fetcher: no robots.txt cached from before
			code, rep := r.scrape(`{"maxPages": 1}`)
			if code != http.StatusBadGateway || rep.Status != "failed" || rep.RunID == "" {
				t.Fatalf("%d %+v: want the run's report with status failed", code, rep)
			}
			if len(rep.Errors) == 0 || !strings.Contains(strings.Join(rep.Errors, " "), want) {
				t.Fatalf("errors %q do not name %q", rep.Errors, want)
			}
		})
	}
}

// Scenario 7: the local cloud stopped with SIGINT or SIGTERM mid-run leaves
// no process behind.
func TestSignalsLeaveNothingBehind(t *testing.T) {
	rt := root(t)
	bin := filepath.Join(t.TempDir(), "moviepipe-local")
	build := exec.Command("go", "build", "-o", bin, "./cmd/moviepipe-local")
	build.Dir = filepath.Join(rt, "deploy", "local")
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := t.TempDir() // its own, not a running make up's
	statePath := filepath.Join(dir, cloud.StateFile)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "up")
			cmd.Dir, cmd.Env = rt, append(os.Environ(), "MOVIEPIPE_LOCAL_DIR="+dir)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var st cloud.State
			for i := 0; ; i++ {
				if b, err := os.ReadFile(statePath); err == nil && json.Unmarshal(b, &st) == nil && st.API != "" {
					break
				}
				if i > 600 {
					_ = cmd.Process.Kill()
					t.Fatalf("not ready:\n%s", out.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			go func() {
				req := scrapeRequest(t, st.API, st.Credentials, `{}`)
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}()
			time.Sleep(2 * time.Second) // mid-run: functions busy, records flowing
			children := descendants(cmd.Process.Pid)
			if len(children) < 3 {
				t.Fatalf("only %d children mid-run", len(children))
			}
			_ = cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil && !strings.Contains(err.Error(), "exit status") {
					t.Errorf("wait: %v", err)
				}
			case <-time.After(30 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("did not stop on %s:\n%s", sig, out.String())
			}
			time.Sleep(500 * time.Millisecond)
			for _, pid := range append(children, st.PIDs...) {
				if running(pid) {
					t.Errorf("process %d survived %s", pid, sig)
				}
			}
			if _, err := os.Stat(statePath); !os.IsNotExist(err) {
				t.Errorf("state file left after %s", sig)
			}
		})
	}
}

// descendants lists the processes below pid, from /proc.
// running reports whether pid is a live process: not gone, and not a zombie
// (dead, waiting to be reaped by whoever adopted it).
func running(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", fmt.Sprint(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var p int
		if _, err := fmt.Sscan(e.Name(), &p); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces: read after the last ')'.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		var ppid int
		if len(fields) > 1 {
			_, _ = fmt.Sscan(fields[1], &ppid)
		}
		parent[p] = ppid
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
