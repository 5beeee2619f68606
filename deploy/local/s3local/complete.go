package s3local

import (
	"crypto/md5" //nolint:gosec // S3's multipart ETag, not a security use
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// checksumFields are the checksum elements of S3's XML documents.
type checksumFields struct {
	ChecksumCRC32     string `xml:",omitempty"`
	ChecksumCRC32C    string `xml:",omitempty"`
	ChecksumCRC64NVME string `xml:",omitempty"`
	ChecksumSHA1      string `xml:",omitempty"`
	ChecksumSHA256    string `xml:",omitempty"`
}

func (f *checksumFields) field(alg string) *string {
	return map[string]*string{
		"CRC32": &f.ChecksumCRC32, "CRC32C": &f.ChecksumCRC32C, "CRC64NVME": &f.ChecksumCRC64NVME,
		"SHA1": &f.ChecksumSHA1, "SHA256": &f.ChecksumSHA256,
	}[alg]
}

type completePart struct {
	PartNumber int
	ETag       string
	checksumFields
}

// completeMultipartUpload serves CompleteMultipartUpload: the listed parts,
// in ascending order, each as uploaded, become the object. An
// x-amz-checksum-* header here is the whole object's checksum, checked
// against the one S3 computes.
func (s *Server) completeMultipartUpload(w http.ResponseWriter, r *http.Request, t target) error {
	id := r.URL.Query().Get("uploadId")
	data, _, err := readBody(r, maxXMLSize)
	if err != nil {
		return err
	}
	if err := checkContentSHA256(r.Header.Get("X-Amz-Content-Sha256"), data); err != nil {
		return err
	}
	var req struct {
		Parts []completePart `xml:"Part"`
	}
	if err := xml.Unmarshal(data, &req); err != nil || len(req.Parts) == 0 {
		return malformedXML()
	}
	o, err := s.complete(t, id, req.Parts, r.Header)
	if err != nil {
		return err
	}
	result := struct {
		XMLName  xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ CompleteMultipartUploadResult"`
		Location string
		Bucket   string
		Key      string
		ETag     string
		checksumFields
		ChecksumType string
	}{Location: location(r, t), Bucket: t.bucket, Key: t.key, ETag: o.etag, ChecksumType: o.sum.kind}
	if f := result.field(o.sum.alg); f != nil {
		*f = o.sum.value
	}
	w.Header().Set("X-Amz-Server-Side-Encryption", "AES256")
	return writeXML(w, result)
}

// complete makes the object and ends the upload.
func (s *Server) complete(t target, id string, parts []completePart, h http.Header) (*object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.findUpload(t, id)
	if err != nil {
		return nil, err
	}
	o, err := u.assemble(parts)
	if err != nil {
		return nil, err
	}
	if err := checkObjectChecksum(h, o.sum); err != nil {
		return nil, err
	}
	o.modified = s.stamp()
	s.buckets[t.bucket].objects[t.key] = o
	delete(s.uploads, id)
	return o, nil
}

// assemble joins the listed parts, with S3's ETag for a multipart object
// (the MD5 of the parts' MD5s, and their count) and the upload's checksum.
func (u *upload) assemble(parts []completePart) (*object, error) {
	var data, md5s []byte
	var sums [][]byte
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return nil, s3err(http.StatusBadRequest, "InvalidPartOrder",
				"The list of parts was not in ascending order. The parts list must be specified in order by part number.").
				with("UploadId", u.id)
		}
	}
	for i, cp := range parts {
		pt, ok := u.parts[cp.PartNumber]
		if !ok || strings.Trim(cp.ETag, `"`) != strings.Trim(pt.etag, `"`) {
			return nil, invalidPart(u.id, cp)
		}
		if i < len(parts)-1 && len(pt.data) < minPartSize {
			return nil, s3err(http.StatusBadRequest, "EntityTooSmall",
				"Your proposed upload is smaller than the minimum allowed size").
				with("ProposedSize", strconv.Itoa(len(pt.data)), "MinSizeAllowed", strconv.Itoa(minPartSize),
					"PartNumber", strconv.Itoa(cp.PartNumber), "ETag", pt.etag)
		}
		if err := u.checkListedChecksum(cp, pt); err != nil {
			return nil, err
		}
		data = append(data, pt.data...)
		md5s = append(md5s, pt.md5...)
		sums = append(sums, pt.sum)
	}
	sum := md5.Sum(md5s) //nolint:gosec // S3's multipart ETag
	o := &object{data: data, header: u.header, meta: u.meta,
		etag: `"` + hex.EncodeToString(sum[:]) + "-" + strconv.Itoa(len(parts)) + `"`}
	switch {
	case u.alg == "":
		o.sum = fullChecksum("CRC64NVME", data)
	case u.kind == composite:
		o.sum = compositeChecksum(u.alg, sums)
	default:
		o.sum = fullChecksum(u.alg, data)
	}
	return o, nil
}

// checkListedChecksum checks a part's checksum as CompleteMultipartUpload
// lists it: required for a COMPOSITE upload, and when given, the part's.
func (u *upload) checkListedChecksum(cp completePart, pt *part) error {
	if u.alg == "" {
		return nil
	}
	given := *cp.field(u.alg)
	switch {
	case given == "" && u.kind == composite:
		return invalidRequest("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.",
			strings.ToLower(u.alg), cp.PartNumber)
	case given != "" && given != base64.StdEncoding.EncodeToString(pt.sum):
		return invalidPart(u.id, cp)
	}
	return nil
}

func invalidPart(id string, cp completePart) *Error {
	return s3err(http.StatusBadRequest, "InvalidPart",
		"One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.").
		with("UploadId", id, "PartNumber", strconv.Itoa(cp.PartNumber), "ETag", cp.ETag)
}

// checkObjectChecksum compares a whole-object checksum sent with
// CompleteMultipartUpload to the object's.
func checkObjectChecksum(h http.Header, sum checksum) error {
	for alg := range algorithms {
		v := h.Get(checksumHeader(alg))
		if v == "" {
			continue
		}
		if alg != sum.alg || v != sum.value {
			return s3err(http.StatusBadRequest, "BadDigest",
				"The %s you specified did not match the calculated checksum.", alg)
		}
	}
	return nil
}

// location is the object's URL, as the client addressed the server.
func location(r *http.Request, t target) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: "/" + t.bucket + "/" + t.key}
	return u.String()
}
