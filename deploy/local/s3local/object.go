package s3local

import (
	"crypto/md5" //nolint:gosec // S3's ETag, not a security use
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// maxMetadata is S3's limit on user metadata: names and values, 2 KB.
const maxMetadata = 2 << 10

// representation are the headers S3 stores with an object and sends back.
var representation = []string{"Content-Type", "Content-Encoding", "Content-Disposition", "Content-Language", "Cache-Control", "Expires"}

// objectHeaders reads what a PutObject or CreateMultipartUpload stores
// besides the bytes: representation headers and user metadata.
func objectHeaders(h http.Header) (header, meta http.Header, err error) {
	header, meta = http.Header{}, http.Header{}
	for _, name := range representation {
		if v := h.Get(name); v != "" {
			header.Set(name, v)
		}
	}
	if enc := withoutAWSChunked(header.Get("Content-Encoding")); enc != "" {
		header.Set("Content-Encoding", enc)
	} else {
		header.Del("Content-Encoding")
	}
	if header.Get("Content-Type") == "" {
		header.Set("Content-Type", "binary/octet-stream")
	}
	size := 0
	for name, values := range h {
		if suffix, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok {
			meta[name] = values
			size += len(suffix) + len(strings.Join(values, ","))
		}
	}
	if size > maxMetadata {
		return nil, nil, s3err(http.StatusBadRequest, "MetadataTooLarge",
			"Your metadata headers exceed the maximum allowed metadata size").
			with("Size", strconv.Itoa(size), "MaxSizeAllowed", strconv.Itoa(maxMetadata))
	}
	return header, meta, nil
}

// withoutAWSChunked drops the aws-chunked coding, which is the request's
// framing, not the object's.
func withoutAWSChunked(enc string) string {
	var kept []string
	for _, c := range strings.Split(enc, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, ",")
}

func md5ETag(data []byte) string {
	sum := md5.Sum(data) //nolint:gosec // S3's ETag
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// putObject serves PutObject. An object sent with no additional checksum
// gets the CRC64NVME one, as S3 computes for every new object.
func (s *Server) putObject(w http.ResponseWriter, r *http.Request, t target) error {
	if err := s.checkBucket(t.bucket); err != nil {
		return err
	}
	header, meta, err := objectHeaders(r.Header)
	if err != nil {
		return err
	}
	p, err := readPayload(r, maxPutSize)
	if err != nil {
		return err
	}
	o := &object{data: p.data, etag: md5ETag(p.data), modified: s.stamp(), header: header, meta: meta, sum: p.sum}
	if o.sum.alg == "" {
		o.sum = fullChecksum("CRC64NVME", p.data)
	}
	if err := s.store(t, o); err != nil {
		return err
	}
	w.Header().Set("ETag", o.etag)
	w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	p.sum.setHeaders(w.Header())
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) store(t target, o *object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(t.bucket)
	if err != nil {
		return err
	}
	b.objects[t.key] = o
	return nil
}

func (s *Server) lookup(t target) (*object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(t.bucket)
	if err != nil {
		return nil, err
	}
	o, ok := b.objects[t.key]
	if !ok {
		return nil, noSuchKey(t.key)
	}
	return o, nil
}

// writeObjectHeaders sets what GetObject and HeadObject answer besides the
// bytes; the checksum only when the client asks for it, as S3 does.
func writeObjectHeaders(h http.Header, r *http.Request, o *object) {
	for name, values := range o.header {
		h[name] = values
	}
	for name, values := range o.meta {
		h[name] = values
	}
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Amz-Server-Side-Encryption", "AES256")
	if strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		o.sum.setHeaders(h)
	}
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, t target) error {
	o, err := s.lookup(t)
	if err != nil {
		return err
	}
	writeObjectHeaders(w.Header(), r, o)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(o.data)
	return nil
}

func (s *Server) headObject(w http.ResponseWriter, r *http.Request, t target) error {
	o, err := s.lookup(t)
	if err != nil {
		return err
	}
	writeObjectHeaders(w.Header(), r, o)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteObject serves DeleteObject: 204 whether or not the key existed.
func (s *Server) deleteObject(w http.ResponseWriter, _ *http.Request, t target) error {
	s.mu.Lock()
	b, err := s.bucketLocked(t.bucket)
	if err == nil {
		delete(b.objects, t.key)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type deleteKey struct {
	Key       string
	VersionId string `xml:",omitempty"` //nolint:revive // S3's element name
}

type deleteError struct {
	Key       string
	VersionId string `xml:",omitempty"` //nolint:revive // S3's element name
	Code      string
	Message   string
}

// deleteObjects serves DeleteObjects: up to 1,000 keys, each deleted or
// reported. A version id can only be "null", the one version of an object
// in an unversioned bucket.
func (s *Server) deleteObjects(w http.ResponseWriter, r *http.Request, t target) error {
	if err := s.checkBucket(t.bucket); err != nil {
		return err
	}
	p, err := readPayload(r, maxXMLSize)
	if err != nil {
		return err
	}
	if !p.hasMD5 && p.sum.alg == "" {
		return invalidRequest("Missing required header for this request: Content-MD5")
	}
	var req struct {
		Quiet   bool
		Objects []deleteKey `xml:"Object"`
	}
	if err := xml.Unmarshal(p.data, &req); err != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return malformedXML()
	}
	var result struct {
		XMLName xml.Name      `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
		Deleted []deleteKey   `xml:"Deleted"`
		Errors  []deleteError `xml:"Error"`
	}
	s.mu.Lock()
	b, err := s.bucketLocked(t.bucket)
	for _, k := range req.Objects {
		switch {
		case err != nil:
		case k.VersionId != "" && k.VersionId != "null":
			result.Errors = append(result.Errors, deleteError{Key: k.Key, VersionId: k.VersionId,
				Code: "NoSuchVersion", Message: "The specified version does not exist."})
		default:
			delete(b.objects, k.Key)
			if !req.Quiet {
				result.Deleted = append(result.Deleted, k)
			}
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return writeXML(w, result)
}
