package s3local_test

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // checking S3's ETags
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/moviepipe/moviepipe/deploy/local/s3local"
)

// seen records how the SDK framed each request body.
type seen struct {
	mu      sync.Mutex
	framing []string // "<op> <x-amz-content-sha256> <checksum header or trailer>"
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			sum := r.Header.Get("X-Amz-Trailer")
			if sum == "" {
				sum = "header:" + strings.ToLower(checksumHeaderOf(r.Header))
			}
			s.mu.Lock()
			s.framing = append(s.framing, r.URL.Query().Get("x-id")+" "+r.Header.Get("X-Amz-Content-Sha256")+" "+sum)
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func checksumHeaderOf(h http.Header) string {
	for name := range h {
		if strings.HasPrefix(name, "X-Amz-Checksum-") {
			return name
		}
	}
	return ""
}

func (s *seen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.framing)
}

// newSDKClient is the Go SDK's S3 client as a program builds it with the
// endpoint variable the local cloud sets: the default config (so the
// default checksum behaviour), path-style addressing.
func newSDKClient(t *testing.T, ts *httptest.Server) *s3.Client {
	for _, v := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION", "AWS_CA_BUNDLE"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_ENDPOINT_URL_S3", ts.URL)
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", "")),
		config.WithHTTPClient(ts.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

func etagOfParts(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		s := md5.Sum(p) //nolint:gosec // S3's ETag
		sums = append(sums, s[:]...)
	}
	s := md5.Sum(sums) //nolint:gosec // S3's ETag
	return fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(s[:]), len(parts))
}

// TestGoSDK drives the server with the AWS SDK for Go v2 over HTTP, where
// it sends checksums in headers, and over HTTPS, where it streams bodies
// aws-chunked with the checksum in a trailer.
func TestGoSDK(t *testing.T) {
	for _, tls := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "https"}[tls]
		t.Run(name, func(t *testing.T) {
			srv := s3local.New(s3local.Options{})
			rec := &seen{}
			ts := httptest.NewUnstartedServer(rec.wrap(srv))
			if tls {
				ts.StartTLS()
			} else {
				ts.Start()
			}
			defer ts.Close()
			c := newSDKClient(t, ts)
			ctx := context.Background()

			t.Run("buckets", func(t *testing.T) { testBuckets(ctx, t, c) })
			t.Run("objects", func(t *testing.T) { testObjects(ctx, t, c, srv) })
			t.Run("listing", func(t *testing.T) { testListing(ctx, t, c) })
			t.Run("multipart", func(t *testing.T) { testMultipart(ctx, t, c, srv) })
			t.Run("emptied and deleted", func(t *testing.T) { testDeleteAll(ctx, t, c) })

			want := "header:x-amz-checksum-crc32"
			if tls {
				want = "STREAMING-UNSIGNED-PAYLOAD-TRAILER x-amz-checksum-crc32"
			}
			for _, f := range rec.all() {
				if strings.Contains(f, "PutObject") && !strings.HasSuffix(f, want) {
					t.Errorf("the SDK framed %q; this test expects it to end %q", f, want)
				}
			}
		})
	}
}

func testBuckets(ctx context.Context, t *testing.T, c *s3.Client) {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("deploy-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("deploy-bucket")}); err != nil {
		t.Fatal(err)
	}
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing-bucket")})
	if code := errorCode(err); code != "NotFound" {
		t.Errorf("HeadBucket of a missing bucket: %v, want NotFound (404, no body)", err)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("deploy-bucket")})
	if err != nil || loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation = %v, %v; want empty (us-east-1)", loc, err)
	}
	list, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(list.Buckets) != 1 || aws.ToString(list.Buckets[0].Name) != "deploy-bucket" {
		t.Errorf("ListBuckets = %+v, %v", list, err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Not_A_Bucket")})
	if code := errorCode(err); code != "InvalidBucketName" {
		t.Errorf("CreateBucket with a bad name: %v, want InvalidBucketName", err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("missing-bucket")})
	var nsb *types.NoSuchBucket
	if !errors.As(err, &nsb) {
		t.Errorf("ListObjectsV2 of a missing bucket: %v, want NoSuchBucket", err)
	}
}

func testObjects(ctx context.Context, t *testing.T, c *s3.Client, srv *s3local.Server) {
	body := []byte(`{"AWSTemplateFormatVersion":"2010-09-09"}`)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String("deploy-bucket"), Key: aws.String("serverless/tpl/dev/1-x/compiled-cloudformation-template.json"),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
		Metadata: map[string]string{"filesha256": "abc="}, ServerSideEncryption: types.ServerSideEncryptionAes256,
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := etagOf(body); aws.ToString(put.ETag) != want {
		t.Errorf("PutObject ETag = %s, want %s", aws.ToString(put.ETag), want)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("deploy-bucket"),
		Key: aws.String("serverless/tpl/dev/1-x/compiled-cloudformation-template.json")})
	if err != nil {
		t.Fatal(err)
	}
	if head.Metadata["filesha256"] != "abc=" || aws.ToString(head.ContentType) != "application/json" ||
		aws.ToInt64(head.ContentLength) != int64(len(body)) || head.LastModified == nil {
		t.Errorf("HeadObject = metadata %v, type %s, length %d, modified %v",
			head.Metadata, aws.ToString(head.ContentType), aws.ToInt64(head.ContentLength), head.LastModified)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("deploy-bucket"),
		Key: aws.String("serverless/tpl/dev/1-x/compiled-cloudformation-template.json"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(got.Body); err != nil || !bytes.Equal(buf.Bytes(), body) {
		t.Errorf("GetObject body = %q, %v", buf.Bytes(), err) // a checksum mismatch fails the read
	}
	if aws.ToString(got.ChecksumCRC32) == "" {
		t.Errorf("GetObject with checksum mode: no CRC32 (the SDK sent one on PutObject)")
	}
	if b, ok := srv.GetObject("deploy-bucket", "serverless/tpl/dev/1-x/compiled-cloudformation-template.json"); !ok || !bytes.Equal(b, body) {
		t.Errorf("Server.GetObject = %q, %v", b, ok)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("deploy-bucket"), Key: aws.String("nothing")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("GetObject of a missing key: %v, want NoSuchKey", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("deploy-bucket"), Key: aws.String("nothing")})
	if code := errorCode(err); code != "NotFound" {
		t.Errorf("HeadObject of a missing key: %v, want NotFound", err)
	}
}

func etagOf(b []byte) string {
	s := md5.Sum(b) //nolint:gosec // S3's ETag
	return `"` + hex.EncodeToString(s[:]) + `"`
}

func testListing(ctx context.Context, t *testing.T, c *s3.Client) {
	keys := []string{"serverless/svc/dev/1-a/a.zip", "serverless/svc/dev/1-a/state.json",
		"serverless/svc/dev/2-b/a.zip", "serverless/svc/dev/2-b/state.json", "serverless/other/dev/1-a/a.zip"}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("deploy-bucket"), Key: aws.String(k),
			Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	var listed []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("deploy-bucket"),
		Prefix: aws.String("serverless/svc/dev/"), MaxKeys: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range out.Contents {
			listed = append(listed, aws.ToString(o.Key))
			if aws.ToString(o.ETag) != etagOf([]byte(aws.ToString(o.Key))) || aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) {
				t.Errorf("listed %s with ETag %s, size %d", aws.ToString(o.Key), aws.ToString(o.ETag), aws.ToInt64(o.Size))
			}
		}
	}
	if want := keys[:4]; !slices.Equal(listed, want) || pages != 2 {
		t.Errorf("listed %v in %d pages, want %v in 2", listed, pages, want)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("deploy-bucket"),
		Prefix: aws.String("serverless/svc/dev/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	for _, cp := range out.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(cp.Prefix))
	}
	if want := []string{"serverless/svc/dev/1-a/", "serverless/svc/dev/2-b/"}; !slices.Equal(prefixes, want) || len(out.Contents) != 0 {
		t.Errorf("delimited listing: prefixes %v and %d objects, want %v and none", prefixes, len(out.Contents), want)
	}
	versions, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("deploy-bucket"),
		Prefix: aws.String("serverless/other/")})
	if err != nil || len(versions.Versions) != 1 || aws.ToString(versions.Versions[0].VersionId) != "null" {
		t.Errorf("ListObjectVersions = %+v, %v; want the one object, version null", versions, err)
	}
}

func testMultipart(ctx context.Context, t *testing.T, c *s3.Client, srv *s3local.Server) {
	data := bytes.Repeat([]byte("moviepipe"), 7<<20/9+1)
	// manager is deprecated for transfermanager, still v0; it is the SDK's v1 multipart uploader.
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20 }) //nolint:staticcheck // see above
	out, err := up.Upload(ctx,                                                       //nolint:staticcheck // see above
		&s3.PutObjectInput{Bucket: aws.String("deploy-bucket"), Key: aws.String("big/scraper.zip"),
			Body: bytes.NewReader(data), ContentType: aws.String("application/zip"), Metadata: map[string]string{"filesha256": "zip="}})
	if err != nil {
		t.Fatal(err)
	}
	if want := etagOfParts(data[:5<<20], data[5<<20:]); aws.ToString(out.ETag) != want {
		t.Errorf("multipart ETag = %s, want %s", aws.ToString(out.ETag), want)
	}
	if b, ok := srv.GetObject("deploy-bucket", "big/scraper.zip"); !ok || !bytes.Equal(b, data) {
		t.Errorf("the multipart object differs from what was sent (%d bytes of %d)", len(b), len(data))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("deploy-bucket"), Key: aws.String("big/scraper.zip"),
		ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if head.Metadata["filesha256"] != "zip=" || aws.ToString(head.ContentType) != "application/zip" ||
		!strings.HasSuffix(aws.ToString(head.ChecksumCRC32), "-2") || head.ChecksumType != types.ChecksumTypeComposite {
		t.Errorf("HeadObject of the multipart object = metadata %v, type %s, checksum %s %s", head.Metadata,
			aws.ToString(head.ContentType), aws.ToString(head.ChecksumCRC32), head.ChecksumType)
	}
}

func testDeleteAll(ctx context.Context, t *testing.T, c *s3.Client) {
	_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("deploy-bucket")})
	if code := errorCode(err); code != "BucketNotEmpty" {
		t.Errorf("DeleteBucket of a bucket with objects: %v, want BucketNotEmpty", err)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("deploy-bucket")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []types.ObjectIdentifier
	for _, o := range list.Contents {
		ids = append(ids, types.ObjectIdentifier{Key: o.Key})
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("deploy-bucket"), Delete: &types.Delete{Objects: ids}})
	if err != nil || len(del.Deleted) != len(ids) || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects = %+v, %v", del, err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("deploy-bucket")}); err != nil {
		t.Fatal(err)
	}
}
