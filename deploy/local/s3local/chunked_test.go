package s3local_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// chunk frames data as one aws-chunked chunk, with a chunk signature when
// sig is set (signed streaming).
func chunk(data, sig string) string {
	ext := ""
	if sig != "" {
		ext = ";chunk-signature=" + sig
	}
	return fmt.Sprintf("%x%s\r\n%s\r\n", len(data), ext, data)
}

// TestAWSChunkedBodies decodes the aws-chunked bodies the SDKs send for
// streams, and refuses malformed ones as S3 does.
func TestAWSChunkedBodies(t *testing.T) {
	const unsigned = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	big := strings.Repeat("a", 8192)
	sig := strings.Repeat("0", 64)
	tests := []struct {
		name        string
		sha256      string
		decoded     string // x-amz-decoded-content-length
		trailerHdr  string // x-amz-trailer
		body        string
		status      int
		code        string
		wantContent string
	}{
		{"the JavaScript SDK's stream upload", unsigned, "11", "x-amz-checksum-crc32",
			"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n", 200, "", "hello world"},
		{"two chunks, the first 8 KiB", unsigned, "8197", "",
			chunk(big, "") + chunk("tail!", "") + "0\r\n\r\n", 200, "", big + "tail!"},
		{"signed chunks (signatures are the front door's)", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "8197", "",
			chunk(big, sig) + chunk("tail!", sig) + "0;chunk-signature=" + sig + "\r\n\r\n", 200, "", big + "tail!"},
		{"a chunk under 8 KiB before the last", unsigned, "11", "",
			chunk("hello", "") + chunk(" world", "") + "0\r\n\r\n", 400, "InvalidChunkSizeError", ""},
		{"trailer checksum mismatch", unsigned, "11", "x-amz-checksum-crc32",
			"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", 400, "BadDigest", ""},
		{"announced trailer missing", unsigned, "11", "x-amz-checksum-crc32",
			"b\r\nhello world\r\n0\r\n\r\n", 400, "MalformedTrailerError", ""},
		{"malformed trailer", unsigned, "11", "",
			"b\r\nhello world\r\n0\r\nno colon\r\n\r\n", 400, "MalformedTrailerError", ""},
		{"fewer bytes than declared", unsigned, "12", "",
			"b\r\nhello world\r\n0\r\n\r\n", 400, "IncompleteBody", ""},
		{"more bytes than declared", unsigned, "5", "",
			"b\r\nhello world\r\n0\r\n\r\n", 400, "IncompleteBody", ""},
		{"cut short", unsigned, "11", "", "b\r\nhello", 400, "IncompleteBody", ""},
		{"not hex", unsigned, "11", "", "zz\r\nhello world\r\n0\r\n\r\n", 400, "IncompleteBody", ""},
		{"no decoded length", unsigned, "", "", "b\r\nhello world\r\n0\r\n\r\n", 411, "MissingContentLength", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFixture(t)
			res, e := do(t, srv, call{method: "PUT", path: "/bkt/streamed", body: tt.body, header: map[string]string{
				"X-Amz-Content-Sha256": tt.sha256, "Content-Encoding": "aws-chunked",
				"X-Amz-Decoded-Content-Length": tt.decoded, "X-Amz-Trailer": tt.trailerHdr,
			}})
			if res.status != tt.status || e.Code != tt.code {
				t.Fatalf("PUT = %d %q (%s), want %d %q", res.status, e.Code, e.Message, tt.status, tt.code)
			}
			if tt.status != http.StatusOK {
				return
			}
			got, _ := srv.GetObject("bkt", "streamed")
			if string(got) != tt.wantContent {
				t.Errorf("stored %d bytes %.20q, want %d", len(got), got, len(tt.wantContent))
			}
			head, _ := do(t, srv, call{method: "HEAD", path: "/bkt/streamed"})
			if head.header.Get("Content-Encoding") != "" {
				t.Errorf("stored Content-Encoding %q: aws-chunked is the request's framing", head.header.Get("Content-Encoding"))
			}
		})
	}
}

func TestContentEncodingKeptWithoutAWSChunked(t *testing.T) {
	srv := newFixture(t)
	do(t, srv, call{method: "PUT", path: "/bkt/gz", body: "b\r\nhello world\r\n0\r\n\r\n", header: map[string]string{
		"X-Amz-Content-Sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "gzip,aws-chunked",
		"X-Amz-Decoded-Content-Length": "11",
	}})
	head, _ := do(t, srv, call{method: "HEAD", path: "/bkt/gz"})
	if got := head.header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got)
	}
}
