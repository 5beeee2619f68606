package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/moviepipe/moviepipe/deploy/local/emulators"
)

// repoFile is a file of the repository, by its path from the root.
func repoFile(t *testing.T, path string) string {
	t.Helper()
	wd, _ := os.Getwd()
	root, err := emulators.FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(path))
}

// Invoked synchronously on the services' sample events, the functions of a
// running cloud answer on stdout, with their log's tail on stderr: the
// processor stores the batch's valid film and fails nothing, and the query
// API then serves that film.
func TestInvokeSync(t *testing.T) {
	_, getenv := runningCloud(t)
	code, out, stderr := moviepipeLocal(t, getenv, "invoke", "moviepipe-processor-local", "-e", repoFile(t, "processor/testdata/events/kinesis-batch.json"))
	if code != 0 || !strings.Contains(out, `"batchItemFailures"`) || strings.Contains(out, "itemIdentifier") {
		t.Fatalf("processor: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "--- log tail") || !strings.Contains(stderr, "START RequestId: ") || !strings.Contains(stderr, "REPORT RequestId: ") {
		t.Errorf("no log tail on stderr:\n%s", stderr)
	}
	code, out, stderr = moviepipeLocal(t, getenv, "invoke", "query-api", "-e", repoFile(t, "query-api/testdata/events/get-movie.json"))
	if code != 0 || !strings.Contains(out, `"statusCode":200`) || !strings.Contains(out, "mv-le-fabuleux-destin-d-amelie-poulain-2001-0b7e11c2") {
		t.Fatalf("query-api: exit %d\n%s\n%s", code, out, stderr)
	}
	code, _, stderr = moviepipeLocal(t, getenv, "invoke", "nope")
	if code != 2 || !strings.Contains(stderr, "no function nope") || !strings.Contains(stderr, "moviepipe-scraper-local") {
		t.Errorf("an unknown function: exit %d, %s", code, stderr)
	}
}

// Invoked with -type Event, an event read from standard input is queued
// and answered at once; the function runs it after: the film it carries is
// stored.
func TestInvokeAsync(t *testing.T) {
	c, _ := runningCloud(t)
	film, err := os.ReadFile(repoFile(t, "contracts/examples/valid/cjk-title.json"))
	if err != nil {
		t.Fatal(err)
	}
	event, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventSource": "aws:kinesis", "eventID": "shardId-000000000000:1", "awsRegion": "us-east-1",
		"kinesis": map[string]any{"data": base64.StdEncoding.EncodeToString(film), "partitionKey": "tt0245429",
			"sequenceNumber": "1", "approximateArrivalTimestamp": float64(time.Now().Unix())},
	}}})
	var out, stderr bytes.Buffer
	code := invoke(t.Context(), "", filepath.Dir(c.StatePath()), []string{"processor", "-type", "Event", "-e", "-"}, bytes.NewReader(event), &out, &stderr)
	if code != 0 || !strings.Contains(out.String(), "queued: status 202") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), stderr.String())
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // a bound on the wait, not a measure
	defer cancel()
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "tt0245429"}}
	for {
		got, err := c.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.State.Exports["moviepipe-local-MoviesTableName"]), Key: key})
		if err == nil && got.Item != nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the queued event's film was never stored (%v)", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// A function error is shown with its type, on a non-zero exit, the
// function's answer still on stdout.
func TestInvokeFunctionError(t *testing.T) {
	_, getenv := runningCloud(t)
	path := filepath.Join(t.TempDir(), "records-not-a-list.json")
	if err := os.WriteFile(path, []byte(`{"Records": "not a list"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := moviepipeLocal(t, getenv, "invoke", "processor", "-e", path)
	if code != 1 || !strings.Contains(out, `"errorType"`) || !strings.Contains(stderr, "function error (Unhandled): UnmarshalTypeError: ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "--- log tail") {
		t.Errorf("no log tail:\n%s", stderr)
	}
}

// An event that is not JSON is refused before any call, naming the file,
// the line and column, and what is wrong there.
func TestInvokeBadEventFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "event.json")
	if err := os.WriteFile(path, []byte("{\n  \"Records\": [\n    {\"kinesis\": }\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, stderr bytes.Buffer
	code := invoke(t.Context(), "", dir, []string{"processor", "-e", path}, nil, &out, &stderr)
	if want := "event " + path + ": not JSON: line 3, column 17: invalid character '}' looking for beginning of value"; code != 2 || !strings.Contains(stderr.String(), want) {
		t.Errorf("exit %d: %s, want 2 and %q", code, stderr.String(), want)
	}
	stderr.Reset()
	code = invoke(t.Context(), "", dir, []string{"processor", "-e", filepath.Join(dir, "missing.json")}, nil, &out, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "missing.json: no such file") {
		t.Errorf("a missing file: exit %d: %s", code, stderr.String())
	}
}

// With no cloud running, a synchronous call starts one for itself and
// stops it after; an asynchronous one is refused, since its event would
// die with that cloud.
func TestInvokeWithoutARunningCloud(t *testing.T) {
	root := repoFile(t, ".")
	none := t.TempDir()
	var out, stderr bytes.Buffer
	code := invoke(t.Context(), root, none, []string{"query-api", "-e", repoFile(t, "query-api/testdata/events/list-movies.json")}, nil, &out, &stderr)
	if code != 0 || !strings.Contains(out.String(), `"statusCode":200`) || !strings.Contains(stderr.String(), "starting one for this call") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(none, "local.json")); !os.IsNotExist(err) {
		t.Errorf("the cloud started for the call wrote its state in %s", none)
	}
	stderr.Reset()
	code = invoke(t.Context(), root, none, []string{"query-api", "-type", "Event"}, nil, &out, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "-type Event needs one") {
		t.Errorf("an asynchronous call with no cloud: exit %d, %s", code, stderr.String())
	}
}
