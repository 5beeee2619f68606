package s3local

import (
	"bufio"
	"bytes"
	"crypto/md5" //nolint:gosec // S3's ETag and Content-MD5, not a security use
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// S3's limits on what one request carries.
const (
	maxPutSize  = 5 << 30 // PutObject and UploadPart: 5 GiB
	maxXMLSize  = 2 << 20 // the XML documents of CreateBucket, DeleteObjects, CompleteMultipartUpload
	minChunk    = 8 << 10 // every aws-chunked chunk but the last
	maxChunkHdr = 4 << 10 // a chunk's size line, a trailer line
)

// payload is a request's body as S3 receives it: decoded from aws-chunked and
// checked against x-amz-content-sha256, Content-MD5 and the additional
// checksum the client sent (sum, zero when none).
type payload struct {
	data   []byte
	sum    checksum
	hasMD5 bool
}

// readPayload reads and checks r's body, refusing more than limit bytes.
func readPayload(r *http.Request, limit int64) (payload, error) {
	data, trailer, err := readBody(r, limit)
	if err != nil {
		return payload{}, err
	}
	if err := checkContentSHA256(r.Header.Get("X-Amz-Content-Sha256"), data); err != nil {
		return payload{}, err
	}
	hasMD5, err := checkContentMD5(r.Header.Get("Content-Md5"), data)
	if err != nil {
		return payload{}, err
	}
	sum, err := sentChecksum(r.Header, trailer)
	if err != nil {
		return payload{}, err
	}
	if err := sum.verify(data); err != nil {
		return payload{}, err
	}
	return payload{data: data, sum: sum, hasMD5: hasMD5}, nil
}

// streaming reports whether the body is aws-chunked, as x-amz-content-sha256 says.
func streaming(h http.Header) bool {
	return strings.HasPrefix(h.Get("X-Amz-Content-Sha256"), "STREAMING-")
}

// readBody reads r's body, no more than limit bytes of it: decoded, with its
// trailer, when x-amz-content-sha256 says it is aws-chunked.
func readBody(r *http.Request, limit int64) ([]byte, http.Header, error) {
	if streaming(r.Header) {
		n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return nil, nil, missingLength()
		}
		if n > limit {
			return nil, nil, tooLarge(n, limit)
		}
		data, trailer, err := decodeChunked(bufio.NewReaderSize(r.Body, maxChunkHdr), n)
		if err != nil {
			return nil, nil, err
		}
		for _, name := range strings.Split(r.Header.Get("X-Amz-Trailer"), ",") {
			if name = strings.TrimSpace(name); name != "" && trailer.Get(name) == "" {
				return nil, nil, malformedTrailer()
			}
		}
		return data, trailer, nil
	}
	if r.ContentLength < 0 {
		return nil, nil, missingLength()
	}
	if r.ContentLength > limit {
		return nil, nil, tooLarge(r.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, r.ContentLength))
	if err != nil || int64(len(data)) != r.ContentLength {
		return nil, nil, incompleteBody()
	}
	return data, nil, nil
}

func tooLarge(proposed, limit int64) *Error {
	if limit == maxXMLSize {
		return s3err(http.StatusBadRequest, "MaxMessageLengthExceeded", "Your request was too big.")
	}
	return s3err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size").
		with("ProposedSize", strconv.FormatInt(proposed, 10), "MaxSizeAllowed", strconv.FormatInt(limit, 10))
}

func missingLength() *Error {
	return s3err(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
}

func incompleteBody() *Error {
	return s3err(http.StatusBadRequest, "IncompleteBody",
		"You did not provide the number of bytes specified by the Content-Length HTTP header")
}

func malformedTrailer() *Error {
	return s3err(http.StatusBadRequest, "MalformedTrailerError",
		"The request contained trailing data that was not well-formed or did not conform to our published schema.")
}

// decodeChunked decodes an aws-chunked body of want bytes: chunks of
// "<hex size>[;chunk-signature=...]\r\n<data>\r\n", a last chunk of size 0,
// then trailer lines "name:value\r\n" and an empty line. Chunk signatures are
// not checked (the front door verifies SigV4); the sizes are, as S3 checks
// them: every chunk but the last holds at least 8 KiB.
func decodeChunked(br *bufio.Reader, want int64) ([]byte, http.Header, error) {
	var data bytes.Buffer
	prev := int64(-1)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err != nil {
			return nil, nil, err
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || size < 0 {
			return nil, nil, incompleteBody()
		}
		if size > 0 && prev >= 0 && prev < minChunk {
			return nil, nil, s3err(http.StatusBadRequest, "InvalidChunkSizeError",
				"Only the last chunk is allowed to have a size less than 8192 bytes").
				with("Chunk", strconv.Itoa(n-1), "BadChunkSize", strconv.FormatInt(prev, 10))
		}
		if size == 0 {
			if int64(data.Len()) != want {
				return nil, nil, incompleteBody()
			}
			trailer, err := readTrailer(br)
			return data.Bytes(), trailer, err
		}
		if int64(data.Len())+size > want {
			return nil, nil, incompleteBody()
		}
		if _, err := io.CopyN(&data, br, size); err != nil {
			return nil, nil, incompleteBody()
		}
		if end, err := readLine(br); err != nil || end != "" {
			return nil, nil, incompleteBody()
		}
		prev = size
	}
}

// readLine reads one CRLF-terminated line, without its CRLF. A line longer
// than the reader's buffer is malformed.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return "", incompleteBody()
	}
	s, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok {
		return "", incompleteBody()
	}
	return s, nil
}

func readTrailer(br *bufio.Reader) (http.Header, error) {
	trailer := http.Header{}
	for {
		line, err := readLine(br)
		if err != nil {
			return nil, malformedTrailer()
		}
		if line == "" {
			return trailer, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, malformedTrailer()
		}
		trailer.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
}

// checkContentSHA256 checks the payload hash SigV4 signed, as S3 does: a
// hex SHA-256 must match the payload; the other values S3 accepts skip it.
func checkContentSHA256(v string, data []byte) error {
	switch {
	case v == "" || v == "UNSIGNED-PAYLOAD" || strings.HasPrefix(v, "STREAMING-") && knownStreaming[v]:
		return nil
	case len(v) == 64 && isHex(v):
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != strings.ToLower(v) {
			return s3err(http.StatusBadRequest, "XAmzContentSHA256Mismatch",
				"The provided 'x-amz-content-sha256' header does not match what was computed.").
				with("ClientComputedContentSHA256", v, "S3ComputedContentSHA256", got)
		}
		return nil
	}
	return invalidArgument("x-amz-content-sha256", v,
		"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.")
}

var knownStreaming = map[string]bool{
	"STREAMING-UNSIGNED-PAYLOAD-TRAILER":               true,
	"STREAMING-AWS4-HMAC-SHA256-PAYLOAD":               true,
	"STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER":       true,
	"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD":         true,
	"STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER": true,
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// checkContentMD5 checks a Content-MD5 header against the payload and
// reports whether there was one.
func checkContentMD5(v string, data []byte) (bool, error) {
	if v == "" {
		return false, nil
	}
	want, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(want) != md5.Size {
		return true, s3err(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.").
			with("Content-MD5", v)
	}
	got := md5.Sum(data) //nolint:gosec // S3's Content-MD5
	if !bytes.Equal(want, got[:]) {
		return true, s3err(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.").
			with("ExpectedDigest", v, "CalculatedDigest", base64.StdEncoding.EncodeToString(got[:]))
	}
	return true, nil
}
