package s3local

import (
	"encoding/xml"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// Region is where the buckets are [us-east-1].
	Region string
	// Now is the clock [time.Now].
	Now func() time.Time
}

// Server is an in-memory S3 serving S3's REST API with path-style addressing
// (http://host/bucket/key). It is safe for concurrent use.
type Server struct {
	region string
	now    func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	uploads map[string]*upload // by upload id
}

type bucket struct {
	name    string
	created time.Time
	objects map[string]*object
}

// object is a stored object. Its fields never change once stored: a new
// version of a key is a new object.
type object struct {
	data     []byte
	etag     string // quoted, as S3 sends it
	modified time.Time
	header   http.Header // Content-Type and the other representation headers
	meta     http.Header // user metadata, x-amz-meta-*
	sum      checksum
}

// New returns a Server with no buckets.
func New(opts Options) *Server {
	s := &Server{region: opts.Region, now: opts.Now, buckets: map[string]*bucket{}, uploads: map[string]*upload{}}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Region is where the server's buckets are.
func (s *Server) Region() string { return s.region }

// CreateBucket makes an empty bucket, as CloudFormation does for an
// AWS::S3::Bucket. The error is ErrInvalidBucketName for a name S3 refuses
// and ErrBucketAlreadyOwnedByYou for a bucket that exists.
func (s *Server) CreateBucket(name string) error {
	if err := checkBucketName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; ok {
		return ErrBucketAlreadyOwnedByYou.with("BucketName", name)
	}
	s.buckets[name] = &bucket{name: name, created: s.now().UTC().Truncate(time.Second), objects: map[string]*object{}}
	return nil
}

// DeleteBucket deletes an empty bucket and its unfinished multipart uploads.
// The error is ErrNoSuchBucket or ErrBucketNotEmpty.
func (s *Server) DeleteBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[name]
	if !ok {
		return noSuchBucket(name)
	}
	if len(b.objects) > 0 {
		return ErrBucketNotEmpty.with("BucketName", name)
	}
	for id, u := range s.uploads {
		if u.bucket == name {
			delete(s.uploads, id)
		}
	}
	delete(s.buckets, name)
	return nil
}

// Buckets lists the buckets' names in order.
func (s *Server) Buckets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.buckets))
	for name := range s.buckets {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// GetObject returns a copy of an object's bytes, and whether it exists.
func (s *Server) GetObject(bucket, key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[bucket]
	if !ok {
		return nil, false
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, false
	}
	return slices.Clone(o.data), true
}

// PutObject stores data under key as a PutObject with that content type
// does, with S3's ETag and default checksum (ErrNoSuchBucket without the
// bucket): how the local cloud uploads what osls deploy would.
func (s *Server) PutObject(bucket, key, contentType string, data []byte) error {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	o := &object{data: slices.Clone(data), etag: md5ETag(data), modified: s.stamp(), header: h, meta: http.Header{},
		sum: fullChecksum("CRC64NVME", data)}
	return s.store(target{bucket: bucket, key: key}, o)
}

// bucketLocked returns the named bucket; s.mu must be held.
func (s *Server) bucketLocked(name string) (*bucket, error) {
	b, ok := s.buckets[name]
	if !ok {
		return nil, noSuchBucket(name)
	}
	return b, nil
}

// checkBucket reports NoSuchBucket for a bucket that does not exist.
func (s *Server) checkBucket(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.bucketLocked(name)
	return err
}

// stamp is the time S3 records for a change: now, to the second, as S3's
// listings and Last-Modified headers show it.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Second) }

var (
	bucketChars = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ipLike      = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

// checkBucketName applies S3's naming rules for general purpose buckets.
func checkBucketName(name string) error {
	bad := !bucketChars.MatchString(name) || strings.Contains(name, "..") || ipLike.MatchString(name)
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		bad = bad || strings.HasPrefix(name, p)
	}
	for _, suffix := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		bad = bad || strings.HasSuffix(name, suffix)
	}
	if bad {
		return ErrInvalidBucketName.with("BucketName", name)
	}
	return nil
}

// writeXML answers 200 with an S3 XML document.
func writeXML(w http.ResponseWriter, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	body = append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}

// xmlTime is a time as S3's XML documents carry it.
func xmlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ServeHTTP serves one S3 request: path-style, its SigV4 signature already
// verified in front of this handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestIDs(w.Header())
	if err := s.serve(w, r); err != nil {
		writeError(w, r, err)
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) error {
	if err := checkRequest(r); err != nil {
		return err
	}
	t, err := parseTarget(r.URL.Path)
	if err != nil {
		return err
	}
	o, err := match(r.Method, t, r.URL.Query())
	if err != nil {
		return err
	}
	return o.serve(s, w, r, t)
}
