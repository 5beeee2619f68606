package esm

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/lambda"
)

// maxPayload is where batches are cut: Lambda's synchronous invocation
// payload limit (6 MB, 6,291,456 bytes), which the host enforces. A mapping
// invokes with a batch once it "has gathered a full batch, the batching
// window expires, or the batch reaches the payload limit of 6 MB" (Lambda
// developer guide, "How Lambda processes records from Amazon Kinesis Data
// Streams"; "The payload size reaches 6 MB. You cannot modify this limit",
// "Batching behavior"). The limit is on the event as sent: base64 data and
// each record's metadata.
const maxPayload = lambda.MaxSyncPayload

// record is one stream record and the JSON it is in the event.
type record struct {
	seq, key string
	arrival  time.Time
	idx      int64  // its place in the shard's ledger
	raw      []byte // its element of the event's Records
}

// newRecord builds a record's event element once, as Lambda sends it
// (the shape of the "Example event" of the Kinesis chapter).
func (m *Mapping) newRecord(shard string, r types.Record, idx int64) *record {
	seq := aws.ToString(r.SequenceNumber)
	ev := events.KinesisEventRecord{
		AwsRegion: m.cfg.Region, EventID: shard + ":" + seq, EventName: "aws:kinesis:record",
		EventSource: "aws:kinesis", EventSourceArn: m.cfg.StreamARN, EventVersion: "1.0",
		InvokeIdentityArn: m.cfg.InvokeIdentityARN,
		Kinesis: events.KinesisRecord{
			ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: aws.ToTime(r.ApproximateArrivalTimestamp)},
			Data:                        r.Data, PartitionKey: aws.ToString(r.PartitionKey), SequenceNumber: seq,
			KinesisSchemaVersion: "1.0",
		},
	}
	raw, _ := json.Marshal(ev) // plain strings, bytes and a float: it cannot fail
	return &record{seq: seq, key: aws.ToString(r.PartitionKey), arrival: aws.ToTime(r.ApproximateArrivalTimestamp), idx: idx, raw: raw}
}

const eventOpen, eventClose = `{"Records":[`, `]}`

// payloadSize is the size of the event holding recs.
func payloadSize(recs []*record) int {
	n := len(eventOpen) + len(eventClose) + max(len(recs)-1, 0)
	for _, r := range recs {
		n += len(r.raw)
	}
	return n
}

// payload is the event holding recs: what json.Marshal of an
// events.KinesisEvent with their records gives.
func payload(recs []*record) []byte {
	b := make([]byte, 0, payloadSize(recs))
	b = append(b, eventOpen...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.raw...)
	}
	return append(b, eventClose...)
}

// lane delivers the batches of the partition keys it is given, one at a
// time and in order.
type lane struct {
	s  *shard
	in <-chan []*record
}

func (l *lane) run(ctx context.Context) {
	var buf []*record
	var since time.Time // when the batching window began
	open := true
	for ctx.Err() == nil {
		if open {
			buf, since, open = l.gather(ctx, buf, since)
		}
		if len(buf) == 0 {
			if !open {
				return
			}
			continue
		}
		n := l.cut(buf)
		if !l.s.process(ctx, buf[:n]) {
			return
		}
		buf = buf[n:]
		// The next batching window begins when the invocation completes.
		since = time.Now()
	}
}

// gather takes records until a batch is ready: BatchSize of them, more than
// maxPayload, or some and the batching window over. It returns false once
// the reader is done (or ctx is), with what it has.
func (l *lane) gather(ctx context.Context, buf []*record, since time.Time) ([]*record, time.Time, bool) {
	take := func(g []*record, ok bool) bool {
		if ok {
			if len(buf) == 0 {
				since = time.Now()
			}
			buf = append(buf, g...)
		}
		return ok
	}
	for {
		for drained := false; !drained; { // everything read so far
			select {
			case g, ok := <-l.in:
				if !take(g, ok) {
					return buf, since, false
				}
			default:
				drained = true
			}
		}
		window := l.s.m.cfg.BatchWindow - time.Since(since)
		if len(buf) >= l.s.m.cfg.BatchSize || payloadSize(buf) > maxPayload || len(buf) > 0 && window <= 0 {
			return buf, since, true
		}
		var timeout <-chan time.Time
		if len(buf) > 0 {
			timeout = time.After(window)
		}
		select {
		case g, ok := <-l.in:
			if !take(g, ok) {
				return buf, since, false
			}
		case <-timeout:
		case <-ctx.Done():
			return buf, since, false
		}
	}
}

// cut returns how many of buf's records make the next batch: at most
// BatchSize, and as many as fit in maxPayload (at least one).
func (l *lane) cut(buf []*record) int {
	size := len(eventOpen) + len(eventClose) - 1 // no comma before the first
	for n, r := range buf {
		size += len(r.raw) + 1
		if n == l.s.m.cfg.BatchSize || n > 0 && size > maxPayload {
			return n
		}
	}
	return len(buf)
}
