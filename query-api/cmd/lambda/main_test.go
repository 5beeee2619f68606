package main

import (
	"context"
	"strings"
	"testing"
)

func TestBuild(t *testing.T) {
	if _, err := build(context.Background(), func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "MOVIES_TABLE") {
		t.Fatalf("got %v", err)
	}
	t.Setenv("AWS_REGION", "us-east-1")
	h, err := build(context.Background(), func(k string) string { return map[string]string{"MOVIES_TABLE": "movies"}[k] })
	if err != nil || h.Store == nil || len(h.Cursor.Key) == 0 {
		t.Fatalf("%+v %v", h, err)
	}
}
