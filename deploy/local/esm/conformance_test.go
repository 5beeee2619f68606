package esm_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/esm"
)

// What the function and the destination receive, held to AWS's samples
// (testdata/aws): the same keys, the same JSON types, and the values
// Lambda puts there.

// shape replaces every value of a decoded JSON document by its JSON type.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(v) == 0 {
			return []any{}
		}
		return []any{shape(v[0])}
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "null"
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %.200s: %v", b, err)
	}
	return v
}

func sample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "aws", name))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, b)
}

// events returns the events the function received, as it received them.
func (r *rig) events() []map[string]any {
	f, err := os.Open(filepath.Join(r.state, "events.jsonl"))
	if err != nil {
		r.t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		out = append(out, decode(r.t, sc.Bytes()))
	}
	return out
}

// stored reads record i back from the stream, as Kinesis holds it.
func (r *rig) stored(i int) types.Record {
	r.t.Helper()
	it, err := r.client.GetShardIterator(r.t.Context(), &kinesis.GetShardIteratorInput{StreamName: &r.stream, ShardId: aws.String("shardId-000000000000"),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: &r.sent[i]})
	if err != nil {
		r.t.Fatal(err)
	}
	out, err := r.client.GetRecords(r.t.Context(), &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator, Limit: aws.Int32(1)})
	if err != nil || len(out.Records) != 1 {
		r.t.Fatalf("read record %d back: %v", i, err)
	}
	return out.Records[0]
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// The event has the keys and types of AWS's sample event; eventID is
// shardId:sequenceNumber, eventSourceARN the stream, the data base64 of
// the bytes put (here not UTF-8), the arrival time float seconds with the
// milliseconds Kinesis recorded.
func TestEventShape(t *testing.T) {
	r := newRig(t)
	data := []byte{0x00, 0xff, 0xfe, 'h', 'i', 0x80}
	r.putKey("pk-1", data)
	stop, m := r.run(nil)
	defer stop()
	r.until("the checkpoint", r.checkpointed(m))
	evs := r.events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	got := evs[0]["Records"].([]any)
	same(t, "the event's shape", shape(evs[0]), shape(sample(t, "kinesis-event.json")))
	rec := got[0].(map[string]any)
	k := rec["kinesis"].(map[string]any)
	same(t, "eventID", rec["eventID"], "shardId-000000000000:"+r.sent[0])
	same(t, "eventSourceARN", rec["eventSourceARN"], r.arn())
	same(t, "constants", []any{rec["eventSource"], rec["eventName"], rec["eventVersion"], rec["awsRegion"], rec["invokeIdentityArn"], k["kinesisSchemaVersion"]},
		[]any{"aws:kinesis", "aws:kinesis:record", "1.0", region, roleARN, "1.0"})
	same(t, "partitionKey and sequenceNumber", []any{k["partitionKey"], k["sequenceNumber"]}, []any{"pk-1", r.sent[0]})
	if b, err := base64.StdEncoding.DecodeString(k["data"].(string)); err != nil || !bytes.Equal(b, data) {
		t.Errorf("data %q is not the base64 of the bytes put (%v)", k["data"], err)
	}
	arrival := aws.ToTime(r.stored(0).ApproximateArrivalTimestamp)
	num, ok := k["approximateArrivalTimestamp"].(json.Number)
	secs, err := num.Float64()
	if !ok || err != nil || math.Abs(secs-float64(arrival.UnixMilli())/1000) > 0.0005 ||
		arrival.Nanosecond() >= int(time.Millisecond) && !strings.Contains(num.String(), ".") {
		t.Errorf("approximateArrivalTimestamp %v, want %v in float seconds", k["approximateArrivalTimestamp"], arrival)
	}
}

var (
	uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	millis = "2006-01-02T15:04:05.000Z"
)

// The on-failure message is AWS's invocation record, every field of its
// sample: functionError "Unhandled" after function errors, null when the
// function reported the records as failed (as AWS sends it); the batch info
// of the records still failing; never the records themselves.
func TestOnFailureMessageIsAWSInvocationRecord(t *testing.T) {
	for _, tc := range []struct {
		name, data    string
		report        bool
		functionError any
		first         int // the batch info's first record
	}{
		{"function error", `{"fail":"error"}`, false, "Unhandled", 0},
		{"reported item failure", `{"fail":"item"}`, true, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			r.put(`{}`, tc.data, `{}`)
			stop, m := r.run(func(c *esm.Config) { c.MaximumRetryAttempts = 1; c.ReportBatchItemFailures = tc.report })
			defer stop()
			r.until("the checkpoint at the end", r.checkpointed(m))
			dest := r.destinations()
			if len(dest) != 1 || len(r.invocations()) != 2 {
				t.Fatalf("destination %v after invocations %v: want one message after the first try and one retry", dest, r.invocations())
			}
			b, _ := json.Marshal(dest[0])
			msg, want := decode(t, b), sample(t, "kinesis-on-failure.json")
			want["responseContext"].(map[string]any)["functionError"] = tc.functionError
			same(t, "the message's shape", shape(msg), shape(want))
			checkFailureValues(t, r, msg, tc.functionError, tc.first)
		})
	}
}

func checkFailureValues(t *testing.T, r *rig, msg map[string]any, functionError any, first int) {
	t.Helper()
	req, resp, info := msg["requestContext"].(map[string]any), msg["responseContext"].(map[string]any), msg["KinesisBatchInfo"].(map[string]any)
	if !uuidV4.MatchString(fmt.Sprint(req["requestId"])) {
		t.Errorf("requestId %v is not a UUID", req["requestId"])
	}
	same(t, "requestContext", []any{req["functionArn"], req["condition"], req["approximateInvokeCount"]}, []any{fnARN, "RetryAttemptsExhausted", json.Number("2")})
	same(t, "responseContext", []any{resp["statusCode"], resp["executedVersion"], resp["functionError"]}, []any{json.Number("200"), "$LATEST", functionError})
	if _, err := time.Parse(millis, fmt.Sprint(msg["timestamp"])); err != nil || msg["version"] != "1.0" {
		t.Errorf("timestamp %v, version %v", msg["timestamp"], msg["version"])
	}
	last := len(r.sent) - 1
	same(t, "KinesisBatchInfo", info, map[string]any{
		"shardId": "shardId-000000000000", "startSequenceNumber": r.sent[first], "endSequenceNumber": r.sent[last],
		"approximateArrivalOfFirstRecord": aws.ToTime(r.stored(first).ApproximateArrivalTimestamp).UTC().Format(millis),
		"approximateArrivalOfLastRecord":  aws.ToTime(r.stored(last).ApproximateArrivalTimestamp).UTC().Format(millis),
		"batchSize":                       json.Number(fmt.Sprint(last - first + 1)), "streamArn": r.arn(),
	})
}

// Each form Lambda documents as a complete success of a partial batch
// response ends the batch at once: no retry.
func TestPartialBatchSuccessForms(t *testing.T) {
	for _, form := range []string{"empty-list", "null-list", "empty-object", "null"} {
		t.Run(form, func(t *testing.T) {
			r := newRig(t)
			r.put(`{}`, `{"respond":"`+form+`"}`, `{}`)
			stop, m := r.run(nil)
			defer stop()
			r.until("the checkpoint at the end", r.checkpointed(m))
			if got := r.invocations(); fmt.Sprint(got) != fmt.Sprint([][]int{span(0, 3)}) {
				t.Fatalf("batches %v: want one invocation, a complete success", got)
			}
		})
	}
}
