package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestBuildFailsNamingEveryProblem(t *testing.T) {
	_, err := build(context.Background(), func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "MOVIES_TABLE") || !strings.Contains(err.Error(), "ERRORS_TABLE") {
		t.Fatalf("got %v", err)
	}
}

func TestBuildWires(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	env := map[string]string{"MOVIES_TABLE": "movies", "ERRORS_TABLE": "errors", "WRITE_CONCURRENCY": "4", "MAX_CLOCK_SKEW": "90s"}
	h, err := build(context.Background(), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if h.Concurrency != 4 || h.MaxClockSkew != 90*time.Second || h.Store == nil || h.Tracer == nil || h.Metrics == nil {
		t.Fatalf("handler %+v", h)
	}
}
