package lambda

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// newRequestID makes a request id as Lambda forms them: a random (version 4)
// UUID, lowercase, e.g. 4c1c5d2a-8f0e-4b8e-9d6a-2f1e0c3b7a91.
func newRequestID() string { return uuid.NewString() }

// NewTraceID makes an X-Ray trace id: "1-", the start time in epoch seconds
// as 8 hex digits, "-", 96 random bits as 24 hex digits
// (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-sendingdata.html#xray-api-traceids).
func NewTraceID(t time.Time) string {
	return fmt.Sprintf("1-%08x-%s", t.Unix(), randomHex(24))
}

// NewSegmentID makes an X-Ray segment or subsegment id: 64 random bits as 16
// hex digits, as the segment document schema requires.
func NewSegmentID() string { return randomHex(16) }

// logStreamName is a function's log stream as Lambda names it:
// YYYY/MM/DD/[$LATEST] and 32 hex digits.
func logStreamName(t time.Time) string {
	return t.UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(32)
}

// randomHex returns digits random hex digits (digits is even).
func randomHex(digits int) string {
	b := make([]byte, digits/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// parseTrace reads Root, Parent and Sampled from an X-Ray header.
func parseTrace(h string) (root, parent, sampled string) {
	sampled = "1"
	for part := range strings.SplitSeq(h, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			root = v
		case "Parent":
			parent = v
		case "Sampled":
			sampled = v
		}
	}
	return root, parent, sampled
}
