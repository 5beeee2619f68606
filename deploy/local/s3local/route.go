package s3local

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// target is what a path-style request addresses: the service (no bucket), a
// bucket (no key) or an object.
type target struct{ bucket, key string }

type level int

const (
	serviceLevel level = iota
	bucketLevel
	objectLevel
)

func (t target) level() level {
	switch {
	case t.bucket == "":
		return serviceLevel
	case t.key == "":
		return bucketLevel
	}
	return objectLevel
}

// parseTarget splits a decoded path-style path into bucket and key.
func parseTarget(path string) (target, error) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return target{}, s3err(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	}
	b, key, _ := strings.Cut(rest, "/")
	if !utf8.ValidString(key) {
		return target{}, s3err(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	}
	if len(key) > 1024 {
		return target{}, s3err(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	}
	return target{bucket: b, key: key}, nil
}

// op is one S3 operation: the request that selects it (method, level, and the
// query parameter that marks it, if any), the other query parameters it
// reads, and its handler. An op with no handler is one S3 has and this
// emulator refuses.
type op struct {
	name   string
	method string
	level  level
	marker string
	params []string
	serve  func(*Server, http.ResponseWriter, *http.Request, target) error
}

var listV2Params = []string{"prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type"}

var ops = []op{
	{"ListBuckets", http.MethodGet, serviceLevel, "", nil, (*Server).listBuckets},
	{"CreateBucket", http.MethodPut, bucketLevel, "", nil, (*Server).createBucket},
	{"HeadBucket", http.MethodHead, bucketLevel, "", nil, (*Server).headBucket},
	{"DeleteBucket", http.MethodDelete, bucketLevel, "", nil, (*Server).deleteBucket},
	{"GetBucketLocation", http.MethodGet, bucketLevel, "location", nil, (*Server).getBucketLocation},
	{"ListObjectsV2", http.MethodGet, bucketLevel, "list-type", listV2Params, (*Server).listObjectsV2},
	{"ListObjectVersions", http.MethodGet, bucketLevel, "versions",
		[]string{"prefix", "delimiter", "max-keys", "key-marker", "version-id-marker", "encoding-type"}, (*Server).listObjectVersions},
	{"ListObjects (version 1)", http.MethodGet, bucketLevel, "", nil, nil},
	{"ListMultipartUploads", http.MethodGet, bucketLevel, "uploads", nil, nil},
	{"DeleteObjects", http.MethodPost, bucketLevel, "delete", nil, (*Server).deleteObjects},
	{"PostObject (browser form upload)", http.MethodPost, bucketLevel, "", nil, nil},
	{"PutObject", http.MethodPut, objectLevel, "", nil, (*Server).putObject},
	{"UploadPart", http.MethodPut, objectLevel, "uploadId", []string{"partNumber"}, (*Server).uploadPart},
	{"GetObject", http.MethodGet, objectLevel, "", nil, (*Server).getObject},
	{"ListParts", http.MethodGet, objectLevel, "uploadId", nil, nil},
	{"HeadObject", http.MethodHead, objectLevel, "", nil, (*Server).headObject},
	{"DeleteObject", http.MethodDelete, objectLevel, "", nil, (*Server).deleteObject},
	{"AbortMultipartUpload", http.MethodDelete, objectLevel, "uploadId", nil, (*Server).abortMultipartUpload},
	{"CreateMultipartUpload", http.MethodPost, objectLevel, "uploads", nil, (*Server).createMultipartUpload},
	{"CompleteMultipartUpload", http.MethodPost, objectLevel, "uploadId", nil, (*Server).completeMultipartUpload},
}

// match finds the operation a request asks for. A query parameter the
// operation does not read is refused, not ignored (x-id, the SDKs' operation
// hint, excepted), so that a request for a subresource (?acl, ?tagging,
// ?versioning, ...) or an option this emulator lacks never passes as another.
func match(method string, t target, q url.Values) (*op, error) {
	var found *op
	for i := range ops {
		o := &ops[i]
		if o.method != method || o.level != t.level() {
			continue
		}
		if o.marker != "" && q.Has(o.marker) {
			found = o
			break
		}
		if o.marker == "" && found == nil {
			found = o
		}
	}
	if found == nil {
		return nil, methodNotAllowed(method, [...]string{"SERVICE", "BUCKET", "OBJECT"}[t.level()])
	}
	for name := range q {
		if name != "x-id" && name != found.marker && !slices.Contains(found.params, name) {
			return nil, notImplemented("the query parameter " + name + " with " + found.name)
		}
	}
	if found.serve == nil {
		return nil, notImplemented(found.name)
	}
	return found, nil
}

// checkRequest refuses what S3 refuses before any operation, and what this
// emulator would otherwise ignore: anonymous requests (the buckets are
// private), presigned URLs, and headers asking for behaviour it lacks.
func checkRequest(r *http.Request) error {
	q := r.URL.Query()
	for _, p := range []string{"X-Amz-Signature", "X-Amz-Credential", "Signature", "AWSAccessKeyId"} {
		if q.Has(p) {
			return notImplemented("presigned URLs (query string authentication)")
		}
	}
	if r.Header.Get("Authorization") == "" {
		return s3err(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	for name, values := range r.Header {
		if err := checkHeader(strings.ToLower(name), values[0]); err != nil {
			return err
		}
	}
	return nil
}

// passHeaders are x-amz- headers that ask for nothing beyond what is served:
// signing, SDK bookkeeping, and the checksum and chunking headers read where
// they apply.
var passHeaders = map[string]bool{
	"x-amz-date": true, "x-amz-content-sha256": true, "x-amz-security-token": true,
	"x-amz-user-agent": true, "x-amz-sdk-checksum-algorithm": true,
	"x-amz-decoded-content-length": true, "x-amz-trailer": true,
}

func checkHeader(name, value string) error {
	switch {
	case name == "range" || strings.HasPrefix(name, "if-"):
		return notImplemented("the " + name + " header")
	case !strings.HasPrefix(name, "x-amz-") || passHeaders[name]:
		return nil
	case strings.HasPrefix(name, "x-amz-meta-") || strings.HasPrefix(name, "x-amz-checksum-"):
		return nil
	case name == "x-amz-server-side-encryption":
		return checkSSE(value)
	case name == "x-amz-acl" && value == "bucket-owner-full-control":
		return nil // what every object gets where ACLs are disabled
	case name == "x-amz-acl" || strings.HasPrefix(name, "x-amz-grant-"):
		return s3err(http.StatusBadRequest, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	case name == "x-amz-storage-class" && value == "STANDARD",
		name == "x-amz-object-ownership" && value == "BucketOwnerEnforced":
		return nil // the only storage class and ownership emulated
	}
	return notImplemented("the " + name + " header")
}

// checkSSE accepts SSE-S3, which S3 applies to every object anyway, refuses
// KMS (not emulated) and rejects anything else as S3 does.
func checkSSE(v string) error {
	switch v {
	case "AES256":
		return nil
	case "aws:kms", "aws:kms:dsse":
		return notImplemented("server-side encryption with KMS keys")
	}
	return invalidArgument("x-amz-server-side-encryption", v, "The encryption method specified is not supported")
}
