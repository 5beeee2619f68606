package s3local

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
)

// ownerID is the canonical user id of the one account the buckets belong to.
const ownerID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"

type owner struct {
	ID          string
	DisplayName string
}

// createBucket serves CreateBucket. The optional body names the region; it
// must be this server's (none for us-east-1), as on the region's endpoint.
func (s *Server) createBucket(w http.ResponseWriter, r *http.Request, t target) error {
	p, err := readPayload(r, maxXMLSize)
	if err != nil {
		return err
	}
	var cfg struct {
		LocationConstraint string
		Location, Bucket   *struct{}
	}
	if len(bytes.TrimSpace(p.data)) > 0 {
		if err := xml.Unmarshal(p.data, &cfg); err != nil {
			return malformedXML()
		}
	}
	if cfg.Location != nil || cfg.Bucket != nil {
		return notImplemented("directory buckets (Location, Bucket in CreateBucketConfiguration)")
	}
	if err := s.checkLocation(cfg.LocationConstraint); err != nil {
		return err
	}
	err = s.CreateBucket(t.bucket)
	if errors.Is(err, ErrBucketAlreadyOwnedByYou) && s.region == "us-east-1" {
		err = nil // S3 answers 200 there, for legacy compatibility
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/"+t.bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) checkLocation(loc string) error {
	want := s.region
	if want == "us-east-1" {
		want = ""
	}
	if loc == want {
		return nil
	}
	named := loc
	if named == "" {
		named = "unspecified"
	}
	return s3err(http.StatusBadRequest, "IllegalLocationConstraintException",
		"The %s location constraint is incompatible for the region specific endpoint this request was sent to.", named)
}

// headBucket serves HeadBucket: 200 with the bucket's region, or 404.
func (s *Server) headBucket(w http.ResponseWriter, _ *http.Request, t target) error {
	if err := s.checkBucket(t.bucket); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", s.region)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteBucket(w http.ResponseWriter, _ *http.Request, t target) error {
	if err := s.DeleteBucket(t.bucket); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// getBucketLocation serves GetBucketLocation: empty for us-east-1, as S3 says.
func (s *Server) getBucketLocation(w http.ResponseWriter, _ *http.Request, t target) error {
	if err := s.checkBucket(t.bucket); err != nil {
		return err
	}
	loc := s.region
	if loc == "us-east-1" {
		loc = ""
	}
	return writeXML(w, struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
		Value   string   `xml:",chardata"`
	}{Value: loc})
}

func (s *Server) listBuckets(w http.ResponseWriter, _ *http.Request, _ target) error {
	type entry struct {
		Name         string
		CreationDate string
		BucketRegion string
	}
	var result struct {
		XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
		Owner   owner
		Buckets []entry `xml:"Buckets>Bucket"`
	}
	result.Owner = owner{ID: ownerID, DisplayName: "s3local"}
	s.mu.Lock()
	for _, b := range s.buckets {
		result.Buckets = append(result.Buckets, entry{Name: b.name, CreationDate: xmlTime(b.created), BucketRegion: s.region})
	}
	s.mu.Unlock()
	sortBy(result.Buckets, func(e entry) string { return e.Name })
	return writeXML(w, result)
}
