package s3local_test

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/s3local"
)

// call is one raw request to the server, signed as far as this handler
// cares (an Authorization header; the front door verifies it).
type call struct {
	method, path string
	header       map[string]string
	body         string
}

type s3Error struct {
	Code, Message, RequestId string //nolint:revive // S3's element name
	BucketName, Key          string
}

// answer is what the server answered.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do serves c and returns the answer, with the error document decoded if
// there is one.
func do(t *testing.T, srv http.Handler, c call) (answer, s3Error) {
	t.Helper()
	r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20260101/us-east-1/s3/aws4_request")
	for k, v := range c.header {
		if v == "" {
			r.Header.Del(k)
			continue
		}
		r.Header.Set(k, v)
	}
	if v, ok := c.header["Content-Length"]; ok && v == "-1" {
		r.ContentLength = -1
		r.Header.Del("Content-Length")
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	a := answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	var e s3Error
	if a.status >= 300 && len(a.body) > 0 {
		if err := xml.Unmarshal(a.body, &e); err != nil {
			t.Fatalf("%s %s: error body %q: %v", c.method, c.path, a.body, err)
		}
		if e.RequestId == "" || e.RequestId != a.header.Get("X-Amz-Request-Id") {
			t.Errorf("%s %s: RequestId %q, header %q", c.method, c.path, e.RequestId, a.header.Get("X-Amz-Request-Id"))
		}
	}
	return a, e
}

// newFixture is a server holding bucket bkt with object k ("hello").
func newFixture(t *testing.T) *s3local.Server {
	t.Helper()
	srv := s3local.New(s3local.Options{})
	if err := srv.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	if res, e := do(t, srv, call{method: "PUT", path: "/bkt/k", body: "hello"}); res.status != http.StatusOK {
		t.Fatalf("PUT /bkt/k: %d %+v", res.status, e)
	}
	return srv
}

// TestAnswersAsS3 holds the server to S3's answers for what osls never
// sends on a good day: errors, limits, and everything refused.
func TestAnswersAsS3(t *testing.T) {
	tests := []struct {
		name   string
		call   call
		status int
		code   string
	}{
		{"anonymous request", call{method: "GET", path: "/bkt?list-type=2", header: map[string]string{"Authorization": ""}}, 403, "AccessDenied"},
		{"presigned URL", call{method: "GET", path: "/bkt/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00"}, 501, "NotImplemented"},
		{"ACL subresource", call{method: "GET", path: "/bkt?acl"}, 501, "NotImplemented"},
		{"versioning", call{method: "PUT", path: "/bkt?versioning", body: "<VersioningConfiguration/>"}, 501, "NotImplemented"},
		{"a version of an object", call{method: "GET", path: "/bkt/k?versionId=3HL4kqtJlcpXroDTDmJ"}, 501, "NotImplemented"},
		{"ListObjects version 1", call{method: "GET", path: "/bkt"}, 501, "NotImplemented"},
		{"ListParts", call{method: "GET", path: "/bkt/k?uploadId=x"}, 501, "NotImplemented"},
		{"range request", call{method: "GET", path: "/bkt/k", header: map[string]string{"Range": "bytes=0-1"}}, 501, "NotImplemented"},
		{"conditional request", call{method: "GET", path: "/bkt/k", header: map[string]string{"If-None-Match": `"x"`}}, 501, "NotImplemented"},
		{"CopyObject", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Copy-Source": "/bkt/k"}}, 501, "NotImplemented"},
		{"tagging header", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Tagging": "a=b"}}, 501, "NotImplemented"},
		{"KMS encryption", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Server-Side-Encryption": "aws:kms"}}, 501, "NotImplemented"},
		{"unknown encryption", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Server-Side-Encryption": "DES"}}, 400, "InvalidArgument"},
		{"SSE-S3", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}}, 200, ""},
		{"another storage class", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Storage-Class": "GLACIER"}}, 501, "NotImplemented"},
		{"a public ACL", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Acl": "public-read"}}, 400, "AccessControlListNotSupported"},
		{"bucket-owner-full-control", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Acl": "bucket-owner-full-control"}}, 200, ""},
		{"expected bucket owner", call{method: "GET", path: "/bkt/k", header: map[string]string{"X-Amz-Expected-Bucket-Owner": "123456789012"}}, 501, "NotImplemented"},
		{"no such operation", call{method: "POST", path: "/"}, 405, "MethodNotAllowed"},
		{"no such bucket", call{method: "GET", path: "/nob/k"}, 404, "NoSuchBucket"},
		{"no such key", call{method: "GET", path: "/bkt/missing"}, 404, "NoSuchKey"},
		{"HEAD of no such key", call{method: "HEAD", path: "/bkt/missing"}, 404, ""},
		{"delete a bucket with objects", call{method: "DELETE", path: "/bkt"}, 409, "BucketNotEmpty"},
		{"delete no such bucket", call{method: "DELETE", path: "/nob"}, 404, "NoSuchBucket"},
		{"bad bucket name", call{method: "PUT", path: "/Bad_Name"}, 400, "InvalidBucketName"},
		{"IP-like bucket name", call{method: "PUT", path: "/192.168.5.4"}, 400, "InvalidBucketName"},
		{"recreate own bucket in us-east-1", call{method: "PUT", path: "/bkt"}, 200, ""},
		{"another region's bucket", call{method: "PUT", path: "/bkt2",
			body: "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"}, 400, "IllegalLocationConstraintException"},
		{"Content-MD5 mismatch", call{method: "PUT", path: "/bkt/c", body: "x", header: map[string]string{"Content-Md5": "XUFAKrxLKna5cZ2REBfFkg=="}}, 400, "BadDigest"},
		{"Content-MD5 malformed", call{method: "PUT", path: "/bkt/c", body: "x", header: map[string]string{"Content-Md5": "nope"}}, 400, "InvalidDigest"},
		{"payload hash mismatch", call{method: "PUT", path: "/bkt/c", body: "x",
			header: map[string]string{"X-Amz-Content-Sha256": strings.Repeat("ab", 32)}}, 400, "XAmzContentSHA256Mismatch"},
		{"payload hash malformed", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Content-Sha256": "yes"}}, 400, "InvalidArgument"},
		{"CRC32 mismatch", call{method: "PUT", path: "/bkt/c", body: "x", header: map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}}, 400, "BadDigest"},
		{"CRC32 matches", call{method: "PUT", path: "/bkt/c", body: `{"x":1}`, header: map[string]string{"X-Amz-Checksum-Crc32": "O+tZXA=="}}, 200, ""},
		{"two checksums", call{method: "PUT", path: "/bkt/c", body: "x",
			header: map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA==", "X-Amz-Checksum-Sha1": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}}, 400, "InvalidRequest"},
		{"algorithm with no checksum", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}}, 400, "InvalidRequest"},
		{"metadata over 2 KB", call{method: "PUT", path: "/bkt/c", header: map[string]string{"X-Amz-Meta-Big": strings.Repeat("m", 2100)}}, 400, "MetadataTooLarge"},
		{"key over 1024 bytes", call{method: "PUT", path: "/bkt/" + strings.Repeat("k", 1025)}, 400, "KeyTooLongError"},
		{"no Content-Length", call{method: "PUT", path: "/bkt/c", header: map[string]string{"Content-Length": "-1"}}, 411, "MissingContentLength"},
		{"list type 1 asked of V2", call{method: "GET", path: "/bkt?list-type=1"}, 400, "InvalidArgument"},
		{"foreign continuation token", call{method: "GET", path: "/bkt?list-type=2&continuation-token=%21%21"}, 400, "InvalidArgument"},
		{"negative max-keys", call{method: "GET", path: "/bkt?list-type=2&max-keys=-1"}, 400, "InvalidArgument"},
		{"version marker without key marker", call{method: "GET", path: "/bkt?versions&version-id-marker=null"}, 400, "InvalidArgument"},
		{"DeleteObjects without integrity header", call{method: "POST", path: "/bkt?delete", body: "<Delete><Object><Key>k</Key></Object></Delete>"}, 400, "InvalidRequest"},
		{"DeleteObjects malformed", call{method: "POST", path: "/bkt?delete", body: "<Delete>",
			header: map[string]string{"Content-Md5": "/EnmkgKQhMNPFS6ZsryUag=="}}, 400, "MalformedXML"},
		{"abort no such upload", call{method: "DELETE", path: "/bkt/k?uploadId=nope"}, 404, "NoSuchUpload"},
		{"part number out of range", call{method: "PUT", path: "/bkt/k?uploadId=nope&partNumber=10001"}, 400, "InvalidArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, e := do(t, newFixture(t), tt.call)
			if res.status != tt.status || e.Code != tt.code {
				t.Errorf("%s %s = %d %q (%s), want %d %q", tt.call.method, tt.call.path, res.status, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}

func TestErrorDocumentsNameWhatIsMissing(t *testing.T) {
	srv := newFixture(t)
	if _, e := do(t, srv, call{method: "GET", path: "/nob?list-type=2"}); e.BucketName != "nob" ||
		e.Message != "The specified bucket does not exist" {
		t.Errorf("NoSuchBucket = %+v", e)
	}
	if _, e := do(t, srv, call{method: "GET", path: "/bkt/dir/missing"}); e.Key != "dir/missing" {
		t.Errorf("NoSuchKey = %+v", e)
	}
	res, _ := do(t, srv, call{method: "HEAD", path: "/bkt/missing"})
	if b := res.body; len(b) != 0 {
		t.Errorf("HEAD answered a body: %q", b)
	}
}

func TestObjectKeepsWhatWasSent(t *testing.T) {
	srv := newFixture(t)
	do(t, srv, call{method: "PUT", path: "/bkt/site/index.html", body: "<h1>", header: map[string]string{
		"Content-Type": "text/html", "Cache-Control": "max-age=60", "X-Amz-Meta-Filesha256": "abc=",
	}})
	res, _ := do(t, srv, call{method: "HEAD", path: "/bkt/site/index.html", header: map[string]string{"X-Amz-Checksum-Mode": "ENABLED"}})
	for name, want := range map[string]string{
		"Content-Type": "text/html", "Cache-Control": "max-age=60", "X-Amz-Meta-Filesha256": "abc=",
		"Etag": `"` + "a5c0aa5a33c99f4179eb48443e8bb33c" + `"`, "Content-Length": "4",
		"X-Amz-Server-Side-Encryption": "AES256", "X-Amz-Checksum-Type": "FULL_OBJECT",
	} {
		if got := res.header.Get(name); got != want {
			t.Errorf("HEAD %s = %q, want %q", name, got, want)
		}
	}
	if res.header.Get("X-Amz-Checksum-Crc64nvme") == "" || res.header.Get("Last-Modified") == "" {
		t.Errorf("HEAD: no CRC64NVME (S3's default checksum) or no Last-Modified: %v", res.header)
	}
	res, _ = do(t, srv, call{method: "HEAD", path: "/bkt/site/index.html"})
	if res.header.Get("X-Amz-Checksum-Crc64nvme") != "" {
		t.Errorf("HEAD without checksum mode answered the checksum")
	}
}
