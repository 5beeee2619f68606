package s3local

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// S3's multipart limits.
const (
	minPartSize = 5 << 20 // every part but the last
	maxParts    = 10000
)

// upload is a multipart upload in progress: what CreateMultipartUpload said
// of the object to come, and the parts received so far.
type upload struct {
	id, bucket, key string
	header, meta    http.Header
	alg, kind       string // the checksum the object will have; "" none asked
	parts           map[int]*part
}

type part struct {
	data []byte
	etag string // quoted
	md5  []byte
	sum  []byte // the raw checksum of the upload's algorithm
}

func (s *Server) createMultipartUpload(w http.ResponseWriter, r *http.Request, t target) error {
	if err := s.checkBucket(t.bucket); err != nil {
		return err
	}
	header, meta, err := objectHeaders(r.Header)
	if err != nil {
		return err
	}
	alg, kind, err := uploadChecksum(r.Header)
	if err != nil {
		return err
	}
	var id [24]byte
	_, _ = rand.Read(id[:])
	u := &upload{id: base64.RawURLEncoding.EncodeToString(id[:]), bucket: t.bucket, key: t.key,
		header: header, meta: meta, alg: alg, kind: kind, parts: map[int]*part{}}
	s.mu.Lock()
	s.uploads[u.id] = u
	s.mu.Unlock()
	if alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		w.Header().Set("X-Amz-Checksum-Type", kind)
	}
	w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	return writeXML(w, struct {
		XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ InitiateMultipartUploadResult"`
		Bucket   string
		Key      string
		UploadId string //nolint:revive // S3's element name
	}{Bucket: t.bucket, Key: t.key, UploadId: u.id})
}

// uploadChecksum reads the checksum a multipart object is to have, with S3's
// defaults (COMPOSITE but for CRC64NVME) and its rules on which algorithms
// allow which type.
func uploadChecksum(h http.Header) (alg, kind string, err error) {
	alg, err = checksumAlgorithm("x-amz-checksum-algorithm", h.Get("X-Amz-Checksum-Algorithm"))
	if err != nil {
		return "", "", err
	}
	kind = strings.ToUpper(h.Get("X-Amz-Checksum-Type"))
	switch {
	case kind != "" && kind != composite && kind != fullObject:
		return "", "", invalidRequest("Value for x-amz-checksum-type header is invalid.")
	case kind != "" && alg == "":
		return "", "", invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case alg == "":
		return "", "", nil
	case kind == "" && alg == "CRC64NVME":
		kind = fullObject
	case kind == "":
		kind = composite
	}
	sha := strings.HasPrefix(alg, "SHA")
	if kind == fullObject && sha || kind == composite && alg == "CRC64NVME" {
		return "", "", invalidRequest("The %s checksum type cannot be used with the %s checksum algorithm.",
			kind, strings.ToLower(alg))
	}
	return alg, kind, nil
}

// findUpload returns the upload id names, if it is one for t; s.mu must be held.
func (s *Server) findUpload(t target, id string) (*upload, error) {
	if _, err := s.bucketLocked(t.bucket); err != nil {
		return nil, err
	}
	u, ok := s.uploads[id]
	if !ok || u.bucket != t.bucket || u.key != t.key {
		return nil, noSuchUpload(id)
	}
	return u, nil
}

func (s *Server) uploadPart(w http.ResponseWriter, r *http.Request, t target) error {
	q := r.URL.Query()
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > maxParts {
		return invalidArgument("partNumber", q.Get("partNumber"), "Part number must be an integer between 1 and 10000, inclusive")
	}
	id := q.Get("uploadId")
	s.mu.Lock()
	u, err := s.findUpload(t, id)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	p, err := readPayload(r, maxPutSize)
	if err != nil {
		return err
	}
	if err := u.checkPartChecksum(p.sum); err != nil {
		return err
	}
	pt := &part{data: p.data, etag: md5ETag(p.data)}
	pt.md5, _ = hex.DecodeString(strings.Trim(pt.etag, `"`))
	answer := p.sum
	if u.alg != "" {
		answer = fullChecksum(u.alg, p.data)
		pt.sum = answer.raw()
	}
	s.mu.Lock()
	if u, err = s.findUpload(t, id); err == nil {
		u.parts[n] = pt
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	w.Header().Set("ETag", pt.etag)
	w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	if answer.alg != "" {
		w.Header().Set(checksumHeader(answer.alg), answer.value)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// checkPartChecksum applies S3's rule: a part of a COMPOSITE upload carries
// the upload's checksum; a part of any upload carries no other.
func (u *upload) checkPartChecksum(sent checksum) error {
	if sent.alg == u.alg || sent.alg == "" && u.kind != composite || u.alg == "" {
		return nil
	}
	actual := "null"
	if sent.alg != "" {
		actual = strings.ToLower(sent.alg)
	}
	return invalidRequest("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
		strings.ToLower(u.alg), actual)
}

func (s *Server) abortMultipartUpload(w http.ResponseWriter, r *http.Request, t target) error {
	id := r.URL.Query().Get("uploadId")
	s.mu.Lock()
	_, err := s.findUpload(t, id)
	if err == nil {
		delete(s.uploads, id)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
