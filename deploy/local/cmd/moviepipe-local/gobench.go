package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
)

// goBenchmark is one Go benchmark of the table, run with Go's defaults.
type goBenchmark struct {
	module, pkg, name, what, goal string
	// flags are more go test flags.
	flags []string
	// budget compares the figure's cpu-ns/record with the processor's CPU
	// budget per record; it sets the goal.
	budget bool
}

// oneCore runs a benchmark on one core, as a fractional Lambda CPU share.
var oneCore = []string{"-cpu", "1"}

var goBenchmarks = []goBenchmark{
	{module: "contracts", pkg: ".", name: "ValidateMovieRecord", what: "validate a movie-record.v1 of a scraped page (~800 bytes)"},
	{module: "processor", pkg: ".", name: "BatchNoopStore", what: "decode + validate + PutItem input, no-op client, 1,000-record batches", flags: oneCore, budget: true},
	{module: "processor", pkg: ".", name: "BatchSDK", what: "the same with the real SDK client (signed, sent to a local server): the deployed CPU cost", flags: oneCore, budget: true},
	{module: "processor", pkg: ".", name: "BatchDynalite", what: "conditional PutItem into dynalite, 16 in flight"},
	{module: "processor", pkg: ".", name: "PeakHeap10k", what: "heap high-water mark, one 10,000-record batch"},
	{module: "processor", pkg: "./tracing", name: "RecordSegment", what: "X-Ray segment + subsegment of one sampled record"},
	{module: "scraper", pkg: ".", name: "ParseCatalogue", what: "HTML parse + extraction, a 250-film catalogue page"},
	{module: "scraper", pkg: ".", name: "Records", what: "build + validate movie-record.v1"},
	{module: "scraper", pkg: ".", name: "Publish", what: "publisher's own cost per record"},
	{module: "query-api", pkg: ".", name: "GetMovie", what: "handler overhead with a fake store", goal: "≤ 50 µs"},
}

// moduleRows runs goBenchmarks against fresh emulators.
func moduleRows(ctx context.Context, root string, say func(string, ...any)) ([]row, error) {
	say("module benchmarks (go test -bench)")
	memory, err := functionMemory(filepath.Join(root, "processor", ".serverless", "cloudformation-template-update-stack.json"))
	if err != nil {
		return nil, err
	}
	c, err := cloud.Up(ctx, cloud.Options{Root: root, Log: io.Discard})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	env := append(os.Environ(), "GOWORK=off", "AWS_ENDPOINT_URL_KINESIS="+c.State.Kinesis, "AWS_ENDPOINT_URL_DYNAMODB="+c.State.DynamoDB,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local")
	var rows []row
	for _, b := range goBenchmarks {
		how := strings.Join(append([]string{"go test -bench", b.name}, b.flags...), " ")
		fields, err := goBench(ctx, filepath.Join(root, b.module), b.pkg, b.name, b.flags, env)
		if err != nil {
			say("  %s %s: %v", b.module, b.name, err)
			rows = append(rows, row{b.module, b.what, "failed: " + err.Error(), b.goal, how})
			continue
		}
		goal := b.goal
		if b.budget {
			goal = cpuBudget(fields, memory)
		}
		rows = append(rows, row{b.module, b.what, strings.Join(fields, " "), goal, how})
	}
	return rows, nil
}

// cpuBudget compares a benchmark's cpu-ns/record with what a record may
// cost: a saturated shard (1,000 records a second) must fit the deployed
// function's CPU share, memoryMB/1,769 of a vCPU (Lambda gives one vCPU at
// 1,769 MB), so a record may take memoryMB/1,769 ms.
func cpuBudget(fields []string, memoryMB int) string {
	budget := float64(memoryMB) / 1769 * 1000 // µs per record
	ns, ok := metric(fields, "cpu-ns/record")
	if !ok {
		return fmt.Sprintf("≤ %.0f µs per record (%d MB)", budget, memoryMB)
	}
	verdict := "fits"
	if ns/1000 > budget {
		verdict = "over"
	}
	return fmt.Sprintf("%s: %.0f µs of ≤ %.0f µs per record (%d MB)", verdict, ns/1000, budget, memoryMB)
}

// functionMemory is the MemorySize (MB) of the function in a stack's
// packaged CloudFormation (make package writes it).
func functionMemory(template string) (int, error) {
	b, err := os.ReadFile(template)
	if err != nil {
		return 0, fmt.Errorf("%w (make package writes it)", err)
	}
	var t struct {
		Resources map[string]struct {
			Type       string
			Properties json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return 0, fmt.Errorf("%s: %w", template, err)
	}
	for id, r := range t.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		var p struct{ MemorySize int }
		if err := json.Unmarshal(r.Properties, &p); err != nil {
			return 0, fmt.Errorf("%s: %s: %w", template, id, err)
		}
		if p.MemorySize <= 0 {
			return 0, fmt.Errorf("%s: %s: no MemorySize", template, id)
		}
		return p.MemorySize, nil
	}
	return 0, fmt.Errorf("%s: no AWS::Lambda::Function", template)
}

// benchLine is a benchmark's result line; with -cpu 1 its name has no -N.
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// goBench runs one Go benchmark benchRuns times with the given go test
// flags and returns the figures of the median run (by ns/op), as value and
// unit fields; a benchmark with sub-benchmarks reports its first.
func goBench(ctx context.Context, dir, pkg, name string, flags, env []string) ([]string, error) {
	args := append([]string{"test", "-run", "^$", "-bench", "^Benchmark" + name + "$", "-benchmem", "-count", strconv.Itoa(benchRuns)}, flags...)
	cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
	cmd.Dir, cmd.Env = dir, env
	b, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tailLines(string(b), 3), err)
	}
	var first string
	var runs [][]string // each run's fields: ns/op first
	for _, line := range strings.Split(string(b), "\n") {
		if m := benchLine.FindStringSubmatch(line); m != nil && (first == "" || m[1] == first) {
			first = m[1]
			runs = append(runs, strings.Fields(m[2]))
		}
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("no result in %s", tailLines(string(b), 3))
	}
	nsop := func(f []string) float64 { v, _ := strconv.ParseFloat(f[0], 64); return v }
	slices.SortFunc(runs, func(a, b []string) int { return cmp.Compare(nsop(a), nsop(b)) })
	return runs[len(runs)/2], nil
}

// metric is the value of unit in a benchmark's fields.
func metric(fields []string, unit string) (float64, bool) {
	for i := 1; i < len(fields); i++ {
		if fields[i] == unit {
			v, err := strconv.ParseFloat(fields[i-1], 64)
			return v, err == nil
		}
	}
	return 0, false
}
