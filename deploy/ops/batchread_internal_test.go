package ops

import "testing"

// Sequence numbers order as integers: as text, "9" sorts after "10" and a
// shorter number after a longer one.
func TestSequenceRange(t *testing.T) {
	b := BatchInfo{ShardID: "shardId-000000000000", StartSequenceNumber: "9", EndSequenceNumber: "49600000000000000000000000000000000000000000000000000011",
		BatchSize: 3, StreamArn: "arn:aws:kinesis:us-east-1:000000000000:stream/movies"}
	s, err := b.check("movies")
	if err != nil {
		t.Fatal(err)
	}
	for seq, want := range map[string]int{
		"8": -1, "9": 0, "10": 0, "49600000000000000000000000000000000000000000000000000010": 0,
		"49600000000000000000000000000000000000000000000000000011": 0, "49600000000000000000000000000000000000000000000000000012": 1,
		"496000000000000000000000000000000000000000000000000000110": 1, "x": -1,
	} {
		if got := s.place(seq); got != want {
			t.Errorf("%s: %d, want %d", seq, got, want)
		}
	}
	for name, bad := range map[string]BatchInfo{
		"reversed":     {ShardID: "s", StartSequenceNumber: "10", EndSequenceNumber: "9", BatchSize: 1, StreamArn: b.StreamArn},
		"not a number": {ShardID: "s", StartSequenceNumber: "1e3", EndSequenceNumber: "9", BatchSize: 1, StreamArn: b.StreamArn},
		"empty":        {ShardID: "s", StartSequenceNumber: "1", EndSequenceNumber: "9", BatchSize: 0, StreamArn: b.StreamArn},
		"other stream": {ShardID: "s", StartSequenceNumber: "1", EndSequenceNumber: "9", BatchSize: 1, StreamArn: b.StreamArn + "-old"},
		"no shard":     {StartSequenceNumber: "1", EndSequenceNumber: "9", BatchSize: 1, StreamArn: b.StreamArn},
		"negative":     {ShardID: "s", StartSequenceNumber: "-1", EndSequenceNumber: "9", BatchSize: 1, StreamArn: b.StreamArn},
	} {
		if _, err := bad.check("movies"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
