package s3local

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// listEntry is an object as a listing shows it.
type listEntry struct {
	Key               string
	LastModified      string
	ETag              string
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
	Size              int
	StorageClass      string
}

type commonPrefix struct{ Prefix string }

// page is one page of a listing in key order: objects and common prefixes,
// together no more than max; next is where the following page starts (the
// last key or prefix shown) when the listing is truncated.
type page struct {
	entries   []listEntry
	prefixes  []string
	truncated bool
	next      string
}

// list returns the keys after marker that start with prefix, rolling up
// those with delim after the prefix into common prefixes, as S3 lists.
func (b *bucket) list(prefix, delim, marker string, limit int) page {
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		if k > marker && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var p page
	for _, k := range keys {
		cp := ""
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			cp = k[:len(prefix)+i+len(delim)]
			if cp <= marker || len(p.prefixes) > 0 && p.prefixes[len(p.prefixes)-1] == cp {
				continue
			}
		}
		if len(p.entries)+len(p.prefixes) == limit {
			p.truncated = limit > 0
			break
		}
		if cp != "" {
			p.prefixes = append(p.prefixes, cp)
			p.next = cp
			continue
		}
		o := b.objects[k]
		p.entries = append(p.entries, listEntry{
			Key: k, LastModified: xmlTime(o.modified), ETag: o.etag, Size: len(o.data),
			ChecksumAlgorithm: o.sum.alg, ChecksumType: o.sum.kind, StorageClass: "STANDARD",
		})
		p.next = k
	}
	return p
}

// listing reads the query parameters every listing shares.
type listing struct {
	prefix, delim, encoding string
	maxKeys                 int
}

func readListing(q url.Values) (listing, error) {
	l := listing{prefix: q.Get("prefix"), delim: q.Get("delimiter"), encoding: q.Get("encoding-type"), maxKeys: 1000}
	if l.encoding != "" && l.encoding != "url" {
		return l, invalidArgument("encoding-type", l.encoding, "Invalid Encoding Method specified in Request")
	}
	if v := q.Get("max-keys"); q.Has("max-keys") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return l, invalidArgument("max-keys", v, "Provided max-keys not an integer or within integer range")
		}
		l.maxKeys = min(n, 1000)
	}
	return l, nil
}

// enc encodes a key or prefix as encoding-type=url asks.
func (l listing) enc(s string) string {
	if l.encoding != "url" {
		return s
	}
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

func (l listing) encPrefixes(p []string) []commonPrefix {
	out := make([]commonPrefix, len(p))
	for i, v := range p {
		out[i] = commonPrefix{Prefix: l.enc(v)}
	}
	return out
}

func (s *Server) listPage(bucketName string, l listing, marker string) (page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucketLocked(bucketName)
	if err != nil {
		return page{}, err
	}
	return b.list(l.prefix, l.delim, marker, l.maxKeys), nil
}

// listObjectsV2 serves ListObjectsV2. Its continuation token is opaque to
// clients: the last key or prefix of the page before.
func (s *Server) listObjectsV2(w http.ResponseWriter, r *http.Request, t target) error {
	q := r.URL.Query()
	if v := q.Get("list-type"); v != "2" {
		return invalidArgument("list-type", v, "Invalid List Type specified in Request")
	}
	l, err := readListing(q)
	if err != nil {
		return err
	}
	marker, token := q.Get("start-after"), q.Get("continuation-token")
	if q.Has("continuation-token") {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return invalidArgument("continuation-token", token, "The continuation token provided is incorrect")
		}
		marker = string(after)
	}
	p, err := s.listPage(t.bucket, l, marker)
	if err != nil {
		return err
	}
	result := struct {
		XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name                  string
		Prefix                string
		Delimiter             string `xml:",omitempty"`
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		EncodingType          string `xml:",omitempty"`
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		StartAfter            string `xml:",omitempty"`
		Contents              []listEntry
		CommonPrefixes        []commonPrefix
	}{
		Name: t.bucket, Prefix: l.enc(l.prefix), Delimiter: l.enc(l.delim), MaxKeys: l.maxKeys,
		KeyCount: len(p.entries) + len(p.prefixes), IsTruncated: p.truncated, EncodingType: l.encoding,
		ContinuationToken: token, StartAfter: l.enc(q.Get("start-after")), CommonPrefixes: l.encPrefixes(p.prefixes),
	}
	if p.truncated {
		result.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(p.next))
	}
	for _, e := range p.entries {
		e.Key = l.enc(e.Key)
		result.Contents = append(result.Contents, e)
	}
	return writeXML(w, result)
}

// versionEntry is an object as ListObjectVersions shows it: an unversioned
// bucket's objects each have one version, the null version.
type versionEntry struct {
	Key               string
	VersionId         string //nolint:revive // S3's element name
	IsLatest          bool
	LastModified      string
	ETag              string
	ChecksumAlgorithm string `xml:",omitempty"`
	ChecksumType      string `xml:",omitempty"`
	Size              int
	StorageClass      string
	Owner             owner
}

// listObjectVersions serves ListObjectVersions for the unversioned buckets
// this emulator has: every object once, as its null version, as S3 lists a
// bucket whose versioning was never enabled.
func (s *Server) listObjectVersions(w http.ResponseWriter, r *http.Request, t target) error {
	q := r.URL.Query()
	l, err := readListing(q)
	if err != nil {
		return err
	}
	keyMarker, versionMarker := q.Get("key-marker"), q.Get("version-id-marker")
	if versionMarker != "" && keyMarker == "" {
		return invalidArgument("version-id-marker", versionMarker, "A version-id marker cannot be specified without a key marker.")
	}
	if versionMarker != "" && versionMarker != "null" {
		return invalidArgument("version-id-marker", versionMarker, "Invalid version id specified")
	}
	p, err := s.listPage(t.bucket, l, keyMarker)
	if err != nil {
		return err
	}
	result := struct {
		XMLName             xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListVersionsResult"`
		Name                string
		Prefix              string
		KeyMarker           string
		VersionIdMarker     string //nolint:revive // S3's element name
		NextKeyMarker       string `xml:",omitempty"`
		NextVersionIdMarker string `xml:",omitempty"` //nolint:revive // S3's element name
		MaxKeys             int
		Delimiter           string `xml:",omitempty"`
		IsTruncated         bool
		EncodingType        string         `xml:",omitempty"`
		Versions            []versionEntry `xml:"Version"`
		CommonPrefixes      []commonPrefix
	}{
		Name: t.bucket, Prefix: l.enc(l.prefix), KeyMarker: l.enc(keyMarker), VersionIdMarker: versionMarker,
		MaxKeys: l.maxKeys, Delimiter: l.enc(l.delim), IsTruncated: p.truncated, EncodingType: l.encoding,
		CommonPrefixes: l.encPrefixes(p.prefixes),
	}
	if p.truncated {
		result.NextKeyMarker = l.enc(p.next)
		if len(p.entries) > 0 && p.entries[len(p.entries)-1].Key == p.next {
			result.NextVersionIdMarker = "null"
		}
	}
	for _, e := range p.entries {
		result.Versions = append(result.Versions, versionEntry{
			Key: l.enc(e.Key), VersionId: "null", IsLatest: true, LastModified: e.LastModified, ETag: e.ETag,
			ChecksumAlgorithm: e.ChecksumAlgorithm, ChecksumType: e.ChecksumType, Size: e.Size,
			StorageClass: e.StorageClass, Owner: owner{ID: ownerID, DisplayName: "s3local"},
		})
	}
	return writeXML(w, result)
}

func sortBy[T any](list []T, key func(T) string) {
	slices.SortFunc(list, func(a, b T) int { return strings.Compare(key(a), key(b)) })
}
