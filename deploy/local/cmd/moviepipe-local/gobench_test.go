package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

func TestBenchLineReadsNamesWithAndWithoutProcs(t *testing.T) {
	tests := []struct{ line, name, figures string }{
		{"BenchmarkBatchSDK-2   \t       4\t 286740938 ns/op\t 287636 cpu-ns/record", "BatchSDK", "286740938 ns/op\t 287636 cpu-ns/record"},
		{"BenchmarkBatchSDK     \t       4\t 286740938 ns/op", "BatchSDK", "286740938 ns/op"}, // -cpu 1
		{"BenchmarkParse/big-16 \t     100\t 123 ns/op", "Parse/big", "123 ns/op"},
	}
	for _, tt := range tests {
		m := benchLine.FindStringSubmatch(tt.line)
		if m == nil || m[1] != tt.name || m[2] != tt.figures {
			t.Errorf("%q: got %q, want name %q and figures %q", tt.line, m, tt.name, tt.figures)
		}
	}
}

func TestCPUBudgetIsMemoryOver1769Milliseconds(t *testing.T) {
	tests := []struct {
		name   string
		fields []string
		memory int
		want   string
	}{
		{"fits", strings.Fields("286740938 ns/op 1036 allocs/record 287636 cpu-ns/record"), 512, "fits: 288 µs of ≤ 289 µs per record (512 MB)"},
		{"over", strings.Fields("1 ns/op 200000 cpu-ns/record"), 256, "over: 200 µs of ≤ 145 µs per record (256 MB)"},
		{"no cpu figure", strings.Fields("1 ns/op"), 512, "≤ 289 µs per record (512 MB)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpuBudget(tt.fields, tt.memory); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFunctionMemoryReadsThePackagedFunction(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok.json", `{"Resources":{"Q":{"Type":"AWS::SQS::Queue","Properties":{"MemorySize":"x"}},
		"F":{"Type":"AWS::Lambda::Function","Properties":{"MemorySize":512,"Timeout":60}}}}`)
	if got, err := functionMemory(ok); err != nil || got != 512 {
		t.Errorf("got %d, %v; want 512", got, err)
	}
	for name, body := range map[string]string{
		"none.json":    `{"Resources":{"Q":{"Type":"AWS::SQS::Queue","Properties":{}}}}`,
		"nosize.json":  `{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{}}}}`,
		"string.json":  `{"Resources":{"F":{"Type":"AWS::Lambda::Function","Properties":{"MemorySize":"512"}}}}`,
		"missing.json": "",
	} {
		p := filepath.Join(dir, name)
		if body != "" {
			p = write(name, body)
		}
		if got, err := functionMemory(p); err == nil {
			t.Errorf("%s: got %d and no error", name, got)
		}
	}
}

func TestRecordChunksKeepTheScrapersLimits(t *testing.T) {
	entries := func(n, size int) []ktypes.PutRecordsRequestEntry {
		out := make([]ktypes.PutRecordsRequestEntry, n)
		for i := range out {
			out[i] = ktypes.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("tt%07d", i)), Data: bytes.Repeat([]byte{'x'}, size)}
		}
		return out
	}
	tests := []struct {
		name  string
		in    []ktypes.PutRecordsRequestEntry
		sizes []int
	}{
		{"by count", entries(3200, 800), []int{500, 500, 500, 500, 500, 500, 200}},
		{"by bytes", entries(12, 900<<10), []int{5, 5, 2}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, c := range recordChunks(tt.in) {
				got = append(got, len(c))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.sizes) {
				t.Errorf("chunk sizes %v, want %v", got, tt.sizes)
			}
		})
	}
}
