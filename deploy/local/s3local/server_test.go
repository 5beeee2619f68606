package s3local_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/moviepipe/moviepipe/deploy/local/s3local"
)

// Example is the local cloud's use: it makes the deployment bucket when it
// creates the AWS::S3::Bucket, osls uploads through the HTTP API, and the
// local CloudFormation reads the template at TemplateURL.
func Example() {
	srv := s3local.New(s3local.Options{Region: "us-east-1"})
	if err := srv.CreateBucket("svc-local-deployments"); err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv) // osls runs with AWS_ENDPOINT_URL_S3=ts.URL
	defer ts.Close()

	req, _ := http.NewRequest(http.MethodPut, ts.URL+"/svc-local-deployments/1-x/compiled-cloudformation-template.json",
		strings.NewReader(`{"Resources":{}}`))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 ...") // verified by the front door, not here
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()

	tpl, ok := srv.GetObject("svc-local-deployments", "1-x/compiled-cloudformation-template.json")
	fmt.Println(res.StatusCode, res.Header.Get("ETag"), string(tpl), ok)
	// Output: 200 "2564b9328bcca8f06b80b34ce95526f4" {"Resources":{}} true
}

func TestGoCallersActOnErrorCodes(t *testing.T) {
	srv := s3local.New(s3local.Options{})
	if err := srv.CreateBucket("deploys"); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		err, want error
	}{
		"the same bucket again": {srv.CreateBucket("deploys"), s3local.ErrBucketAlreadyOwnedByYou},
		"a name too short":      {srv.CreateBucket("ab"), s3local.ErrInvalidBucketName},
		"no such bucket":        {srv.DeleteBucket("nothing-here"), s3local.ErrNoSuchBucket},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", name, tt.err, tt.want)
		}
	}
	do(t, srv, call{method: "PUT", path: "/deploys/k", body: "bytes"})
	if err := srv.DeleteBucket("deploys"); !errors.Is(err, s3local.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket with an object: %v", err)
	}
	got, _ := srv.GetObject("deploys", "k")
	got[0] = 'X'
	if again, ok := srv.GetObject("deploys", "k"); !ok || string(again) != "bytes" {
		t.Errorf("GetObject handed out the stored bytes: now %q", again)
	}
	do(t, srv, call{method: "DELETE", path: "/deploys/k"})
	if err := srv.DeleteBucket("deploys"); err != nil || len(srv.Buckets()) != 0 {
		t.Errorf("DeleteBucket when empty: %v; buckets %v", err, srv.Buckets())
	}
}

// TestARegionOtherThanUSEast1 checks what only us-east-1 excuses: a
// CreateBucket must name the region, and creating one's own bucket again
// is an error.
func TestARegionOtherThanUSEast1(t *testing.T) {
	srv := s3local.New(s3local.Options{Region: "eu-west-1"})
	eu := "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"
	tests := []struct {
		call   call
		status int
		code   string
	}{
		{call{method: "PUT", path: "/deploys"}, 400, "IllegalLocationConstraintException"},
		{call{method: "PUT", path: "/deploys", body: eu}, 200, ""},
		{call{method: "PUT", path: "/deploys", body: eu}, 409, "BucketAlreadyOwnedByYou"},
		{call{method: "PUT", path: "/other", body: "<CreateBucketConfiguration><Location><Name>usw2-az1</Name></Location></CreateBucketConfiguration>"}, 501, "NotImplemented"},
		{call{method: "PUT", path: "/other", body: "<CreateBucketConfiguration>"}, 400, "MalformedXML"},
	}
	for _, tt := range tests {
		res, e := do(t, srv, tt.call)
		if res.status != tt.status || e.Code != tt.code {
			t.Errorf("%s %s %.40s = %d %s, want %d %s", tt.call.method, tt.call.path, tt.call.body, res.status, e.Code, tt.status, tt.code)
		}
	}
	res, _ := do(t, srv, call{method: "HEAD", path: "/deploys"})
	loc, _ := do(t, srv, call{method: "GET", path: "/deploys?location"})
	body := loc.body
	if res.header.Get("X-Amz-Bucket-Region") != "eu-west-1" || !strings.Contains(string(body), ">eu-west-1</LocationConstraint>") {
		t.Errorf("HeadBucket region %q; GetBucketLocation %s", res.header.Get("X-Amz-Bucket-Region"), body)
	}
	if !slices.Equal(srv.Buckets(), []string{"deploys"}) {
		t.Errorf("buckets %v", srv.Buckets())
	}
}
