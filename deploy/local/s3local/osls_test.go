package s3local_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/s3local"
)

// oslsDir finds the pinned osls in the repository's node_modules: make test
// installs it (npm ci). Missing, the test fails under CI and skips elsewhere.
func oslsDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err == nil {
		wd, _ := os.Getwd()
		for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
			dir := filepath.Join(d, "node_modules", "osls")
			if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
				return dir
			}
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("node or node_modules/osls missing: run npm ci (make node)")
	}
	t.Skip("node or node_modules/osls missing: run npm ci (make node) to run osls against s3local")
	return ""
}

// runOsls runs a phase of testdata/osls_bucket.js against ts and decodes
// what it printed. Its environment holds only what it needs, so no proxy or
// profile of this machine gets in the way.
func runOsls(t *testing.T, ts *httptest.Server, out any, args ...string) {
	t.Helper()
	cmd := exec.Command("node", append([]string{filepath.Join("testdata", "osls_bucket.js")}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ENDPOINT_URL_S3=" + ts.URL, "AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"SLS_AWS_REQUEST_MAX_RETRIES=0",
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node osls_bucket.js %s: %v\n%s", args[0], err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node printed %q: %v\n%s", stdout.String(), err, stderr.String())
	}
}

type jsFailure struct {
	Name   string
	Status int
}

// deployed is what the deploy phase saw.
type deployed struct {
	BucketExists, MissingBucketExists bool
	MostRecent                        []struct {
		Key, Filesha256, ContentType, ETag string
		ContentLength                      int
	}
	Template, StreamETag             string
	HeadMissing, GetMissing, Tagging jsFailure
}

const (
	oslsBucket = "svc-local-deploymentbucket"
	latest     = "serverless/svc/local/1700000005000-2023-11-14T22:13:25.000Z/"
)

// TestOslsDeploymentBucket runs osls's own deployment-bucket code (upload,
// check for changes, cleanup, remove) and the JavaScript SDK it ships
// against the server: a 7 MB zip goes up through lib-storage's multipart
// upload, with the CRC32 checksums that SDK sends.
func TestOslsDeploymentBucket(t *testing.T) {
	dir := oslsDir(t)
	srv := s3local.New(s3local.Options{})
	if err := srv.CreateBucket(oslsBucket); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	zip := make([]byte, 7<<20)
	_, _ = rand.Read(zip)
	zipPath := filepath.Join(t.TempDir(), "scraper.zip")
	if err := os.WriteFile(zipPath, zip, 0o600); err != nil {
		t.Fatal(err)
	}
	var d deployed
	runOsls(t, ts, &d, "deploy", dir, oslsBucket, t.TempDir(), zipPath)
	checkDeployed(t, srv, d, zip)

	var removed struct {
		Before, AfterCleanup, AfterRemove, VersionIDs []string
	}
	runOsls(t, ts, &removed, "remove", dir, oslsBucket)
	if len(removed.Before) != 6 || !slices.Equal(removed.AfterCleanup, removed.Before[1:]) {
		t.Errorf("osls's cleanup kept %v of %v; want the 5 newest", removed.AfterCleanup, removed.Before)
	}
	if !slices.Equal(removed.VersionIDs, []string{"null"}) || len(removed.AfterRemove) != 0 {
		t.Errorf("osls's remove (versioning) left %v; versions %v", removed.AfterRemove, removed.VersionIDs)
	}
}

func checkDeployed(t *testing.T, srv *s3local.Server, d deployed, zip []byte) {
	t.Helper()
	if !d.BucketExists || d.MissingBucketExists {
		t.Errorf("osls's checkIfBucketExists: %v for the bucket, %v for a missing one", d.BucketExists, d.MissingBucketExists)
	}
	want := map[string]string{
		latest + "serverless-state.json": "application/json", latest + "scraper.zip": "application/zip",
		latest + "compiled-cloudformation-template.json": "application/json",
	}
	if len(d.MostRecent) != len(want) {
		t.Errorf("check-for-changes found %+v, want the latest deployment's %d objects", d.MostRecent, len(want))
	}
	zipSum := sha256.Sum256(zip)
	for _, o := range d.MostRecent {
		if want[o.Key] != o.ContentType || o.Filesha256 == "" {
			t.Errorf("HeadObject %s: type %q, filesha256 %q", o.Key, o.ContentType, o.Filesha256)
		}
		if !strings.HasSuffix(o.Key, ".zip") {
			continue
		}
		if o.Filesha256 != base64.StdEncoding.EncodeToString(zipSum[:]) || o.ContentLength != len(zip) {
			t.Errorf("the zip's filesha256 %q, length %d do not match the file", o.Filesha256, o.ContentLength)
		}
		if want := etagOfParts(zip[:5<<20], zip[5<<20:]); o.ETag != want {
			t.Errorf("the zip's ETag = %s, want the multipart ETag %s", o.ETag, want)
		}
	}
	if got, ok := srv.GetObject(oslsBucket, latest+"scraper.zip"); !ok || !bytes.Equal(got, zip) {
		t.Errorf("the zip as stored differs from the file (%d bytes of %d)", len(got), len(zip))
	}
	tpl, _ := srv.GetObject(oslsBucket, latest+"compiled-cloudformation-template.json")
	if d.Template != string(tpl) || !strings.Contains(d.Template, "AWS::SQS::Queue") {
		t.Errorf("rollback's GetObject read %q; stored %q", d.Template, tpl)
	}
	if d.StreamETag != etagOf([]byte("hello world")) {
		t.Errorf("stream PutObject (aws-chunked) ETag = %s", d.StreamETag)
	}
	for _, c := range [][2]jsFailure{
		{d.HeadMissing, {"NotFound", http.StatusNotFound}}, {d.GetMissing, {"NoSuchKey", http.StatusNotFound}},
		{d.Tagging, {"NotImplemented", http.StatusNotImplemented}},
	} {
		if c[0] != c[1] {
			t.Errorf("the JavaScript SDK saw %+v, want %+v", c[0], c[1])
		}
	}
}
