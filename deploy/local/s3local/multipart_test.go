package s3local_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
)

// TestChecksumsMatchTheirCheckValues sends "123456789" with each additional
// checksum, as its published check value, and with a wrong one.
func TestChecksumsMatchTheirCheckValues(t *testing.T) {
	check := map[string]string{
		"Crc32": "y/Q5Jg==", "Crc32c": "4waSgw==", "Crc64nvme": "rosUhgp5mIg=",
		"Sha1": "98O8HYCOBHMq32eZZczDTKeuNEE=", "Sha256": "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
	}
	srv := newFixture(t)
	for alg, value := range check {
		res, e := do(t, srv, call{method: "PUT", path: "/bkt/digits", body: "123456789",
			header: map[string]string{"X-Amz-Checksum-" + alg: value}})
		if res.status != http.StatusOK || res.header.Get("X-Amz-Checksum-"+alg) != value {
			t.Errorf("%s %s: %d %+v, checksum answered %q", alg, value, res.status, e, res.header.Get("X-Amz-Checksum-"+alg))
		}
		res, e = do(t, srv, call{method: "PUT", path: "/bkt/digits", body: "12345678X",
			header: map[string]string{"X-Amz-Checksum-" + alg: value}})
		if res.status != http.StatusBadRequest || e.Code != "BadDigest" {
			t.Errorf("%s of other bytes: %d %+v, want BadDigest", alg, res.status, e)
		}
	}
}

type mpu struct {
	t   *testing.T
	srv http.Handler
	id  string
}

func initiate(t *testing.T, srv http.Handler, header map[string]string) mpu {
	t.Helper()
	res, e := do(t, srv, call{method: "POST", path: "/bkt/obj?uploads", header: header})
	var out struct{ UploadId string } //nolint:revive // S3's element name
	body := res.body
	if res.status != http.StatusOK || xml.Unmarshal(body, &out) != nil || out.UploadId == "" {
		t.Fatalf("CreateMultipartUpload: %d %+v %s", res.status, e, body)
	}
	return mpu{t: t, srv: srv, id: out.UploadId}
}

// part uploads a part and returns its answer.
func (m mpu) part(n int, data string, header map[string]string) (answer, s3Error) {
	return do(m.t, m.srv, call{method: "PUT", path: fmt.Sprintf("/bkt/obj?partNumber=%d&uploadId=%s", n, m.id), body: data, header: header})
}

// complete lists parts as "<n>:<etag>[:<crc32>]".
func (m mpu) complete(parts ...string) (answer, s3Error) {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for _, p := range parts {
		f := strings.Split(p, ":")
		fmt.Fprintf(&b, "<Part><PartNumber>%s</PartNumber><ETag>%s</ETag>", f[0], f[1])
		if len(f) > 2 {
			fmt.Fprintf(&b, "<ChecksumCRC32>%s</ChecksumCRC32>", f[2])
		}
		b.WriteString("</Part>")
	}
	b.WriteString("</CompleteMultipartUpload>")
	return do(m.t, m.srv, call{method: "POST", path: "/bkt/obj?uploadId=" + m.id, body: b.String()})
}

func crc32Of(parts ...string) []byte {
	return binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE([]byte(strings.Join(parts, ""))))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestMultipartRules holds CompleteMultipartUpload to S3's rules.
func TestMultipartRules(t *testing.T) {
	five := strings.Repeat("5", 5<<20)
	crc := map[string]string{"X-Amz-Checksum-Crc32": b64(crc32Of("only"))}
	composite := map[string]string{"X-Amz-Checksum-Algorithm": "CRC32"}
	tests := []struct {
		name     string
		create   map[string]string
		run      func(m mpu) (answer, s3Error)
		status   int
		code     string
		contains string
	}{
		{"a part under 5 MiB but the last", nil, func(m mpu) (answer, s3Error) {
			a, _ := m.part(1, "small", nil)
			b, _ := m.part(2, "last", nil)
			return m.complete("1:"+a.header.Get("ETag"), "2:"+b.header.Get("ETag"))
		}, 400, "EntityTooSmall", ""},
		{"parts out of order", nil, func(m mpu) (answer, s3Error) {
			a, _ := m.part(1, five, nil)
			b, _ := m.part(2, "last", nil)
			return m.complete("2:"+b.header.Get("ETag"), "1:"+a.header.Get("ETag"))
		}, 400, "InvalidPartOrder", ""},
		{"a part's ETag wrong", nil, func(m mpu) (answer, s3Error) {
			m.part(1, "only", nil)
			return m.complete(`1:"00000000000000000000000000000000"`)
		}, 400, "InvalidPart", ""},
		{"a part never uploaded", nil, func(m mpu) (answer, s3Error) {
			return m.complete(`1:"00000000000000000000000000000000"`)
		}, 400, "InvalidPart", ""},
		{"a composite upload's part without its checksum", composite, func(m mpu) (answer, s3Error) {
			return m.part(1, "only", nil)
		}, 400, "InvalidRequest", "expected checksum Type: crc32, actual checksum Type: null"},
		{"a composite upload completed without part checksums", composite, func(m mpu) (answer, s3Error) {
			a, e := m.part(1, "only", crc)
			if a.status != http.StatusOK {
				return a, e
			}
			return m.complete("1:" + a.header.Get("ETag"))
		}, 400, "InvalidRequest", "It was missing for part 1 in the request."},
		{"a composite upload completed with a wrong part checksum", composite, func(m mpu) (answer, s3Error) {
			a, e := m.part(1, "only", crc)
			if a.status != http.StatusOK {
				return a, e
			}
			return m.complete("1:" + a.header.Get("ETag") + ":AAAAAA==")
		}, 400, "InvalidPart", ""},
		{"SHA256 as a full-object checksum", map[string]string{"X-Amz-Checksum-Algorithm": "SHA256", "X-Amz-Checksum-Type": "FULL_OBJECT"},
			nil, 400, "InvalidRequest", "FULL_OBJECT checksum type cannot be used with the sha256"},
		{"a part after the abort", nil, func(m mpu) (answer, s3Error) {
			do(m.t, m.srv, call{method: "DELETE", path: "/bkt/obj?uploadId=" + m.id})
			return m.part(1, "late", nil)
		}, 404, "NoSuchUpload", ""},
		{"the upload of another key", nil, func(m mpu) (answer, s3Error) {
			return do(m.t, m.srv, call{method: "PUT", path: "/bkt/other?partNumber=1&uploadId=" + m.id, body: "x"})
		}, 404, "NoSuchUpload", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFixture(t)
			if tt.run == nil {
				res, e := do(t, srv, call{method: "POST", path: "/bkt/obj?uploads", header: tt.create})
				if res.status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.contains) {
					t.Errorf("= %d %+v, want %d %s %q", res.status, e, tt.status, tt.code, tt.contains)
				}
				return
			}
			res, e := tt.run(initiate(t, srv, tt.create))
			if res.status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.contains) {
				t.Errorf("= %d %+v, want %d %s %q", res.status, e, tt.status, tt.code, tt.contains)
			}
		})
	}
}

// TestMultipartChecksums checks the object's checksum after
// CompleteMultipartUpload: COMPOSITE, the checksum of the parts' checksums
// with their count; FULL_OBJECT, the whole object's.
func TestMultipartChecksums(t *testing.T) {
	five := strings.Repeat("5", 5<<20)
	for kind, want := range map[string]string{
		"COMPOSITE":   b64(crc32Of(string(crc32Of(five))+string(crc32Of("last")))) + "-2",
		"FULL_OBJECT": b64(crc32Of(five, "last")),
	} {
		t.Run(kind, func(t *testing.T) {
			srv := newFixture(t)
			m := initiate(t, srv, map[string]string{"X-Amz-Checksum-Algorithm": "CRC32", "X-Amz-Checksum-Type": kind})
			a, _ := m.part(1, five, map[string]string{"X-Amz-Checksum-Crc32": b64(crc32Of(five))})
			b, _ := m.part(2, "last", nil)
			if kind == "COMPOSITE" {
				b, _ = m.part(2, "last", map[string]string{"X-Amz-Checksum-Crc32": b64(crc32Of("last"))})
			}
			res, e := m.complete("1:"+a.header.Get("ETag")+":"+a.header.Get("X-Amz-Checksum-Crc32"),
				"2:"+b.header.Get("ETag")+":"+b.header.Get("X-Amz-Checksum-Crc32"))
			var out struct{ ETag, ChecksumCRC32, ChecksumType string }
			body := res.body
			if res.status != http.StatusOK || xml.Unmarshal(body, &out) != nil {
				t.Fatalf("complete: %d %+v %s", res.status, e, body)
			}
			if out.ChecksumCRC32 != want || out.ChecksumType != kind || !strings.HasSuffix(out.ETag, `-2"`) {
				t.Errorf("completed with %+v, want CRC32 %s", out, want)
			}
			if got, _ := srv.GetObject("bkt", "obj"); string(got) != five+"last" {
				t.Errorf("the object is not its parts joined (%d bytes)", len(got))
			}
		})
	}
}
