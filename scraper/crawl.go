package scraper

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"slices"
	"strings"
)

// Refusal is why a link was not followed. Together with fetch.Reason it is
// a key of the run report's refusedByReason.
type Refusal string

// The refusals of the crawl.
const (
	RefusedVisited   Refusal = "already-visited"  // the page was fetched in this run (a cycle)
	RefusedOtherHost Refusal = "host-not-allowed" // outside SCRAPE_ALLOWED_HOSTS
	RefusedDepth     Refusal = "depth-limit"      // more links from the start URL than SCRAPE_MAX_DEPTH
	RefusedPageLimit Refusal = "page-limit"       // the run's maxPages were fetched
	RefusedBadLink   Refusal = "bad-link"         // not an absolute http or https URL
)

// DefaultMaxDepth bounds how many next links a run follows from its start
// URL when SCRAPE_MAX_DEPTH is unset.
const DefaultMaxDepth = 1000

// NormalizeURL is the form of a URL that identifies a page in the visited
// set: scheme and host in lower case, the scheme's default port dropped, the
// fragment dropped, an empty path as "/", and the query's parameters in key
// order (a key's values keep theirs). It fails on anything but an absolute
// http or https URL.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http or https URL", raw)
	}
	u.Host = normalizeHost(u.Scheme, u.Host)
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		pairs := slices.DeleteFunc(strings.Split(u.RawQuery, "&"), func(p string) bool { return p == "" })
		slices.SortStableFunc(pairs, func(a, b string) int { return cmp.Compare(queryKey(a), queryKey(b)) })
		u.RawQuery = strings.Join(pairs, "&")
	}
	u.ForceQuery = false
	return u.String(), nil
}

func queryKey(pair string) string {
	k, _, _ := strings.Cut(pair, "=")
	return k
}

// normalizeHost lowers a host and drops the scheme's default port.
func normalizeHost(scheme, host string) string {
	host = strings.ToLower(host)
	if (scheme == "http" && strings.HasSuffix(host, ":80")) || (scheme == "https" && strings.HasSuffix(host, ":443")) {
		host = host[:strings.LastIndexByte(host, ':')]
	}
	return host
}

// Visited is the set of pages a run has fetched, by normalised URL. It
// travels in the run's State from one invocation to the next, so it holds
// 64-bit FNV-1a hashes (8 bytes a page, base64 in JSON) rather than URLs:
// 10,000 pages stay far below Lambda's asynchronous payload limit.
type Visited struct{ set map[uint64]struct{} }

// Add marks a normalised URL visited.
func (v *Visited) Add(normalized string) {
	if v.set == nil {
		v.set = map[uint64]struct{}{}
	}
	v.set[hashURL(normalized)] = struct{}{}
}

// Has reports whether a normalised URL was visited.
func (v *Visited) Has(normalized string) bool {
	_, ok := v.set[hashURL(normalized)]
	return ok
}

func hashURL(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// MarshalJSON writes the set as one base64 string of sorted hashes.
func (v Visited) MarshalJSON() ([]byte, error) {
	hs := make([]uint64, 0, len(v.set))
	for h := range v.set {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	b := make([]byte, 0, 8*len(hs))
	for _, h := range hs {
		b = binary.BigEndian.AppendUint64(b, h)
	}
	return json.Marshal(base64.StdEncoding.EncodeToString(b))
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (v *Visited) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("visited: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%8 != 0 {
		return errors.New("visited: not a base64 list of 8-byte hashes")
	}
	v.set = make(map[uint64]struct{}, len(b)/8)
	for i := 0; i < len(b); i += 8 {
		v.set[binary.BigEndian.Uint64(b[i:])] = struct{}{}
	}
	return nil
}

// scope is where a run may go: its allowed hosts and depth.
type scope struct {
	hosts    []string // normalised host[:port]
	maxDepth int
}

// newScope allows the start URL's host and hosts (host or host:port) up to
// maxDepth links from the start (≤ 0: DefaultMaxDepth).
func newScope(start string, hosts []string, maxDepth int) (scope, error) {
	u, err := url.Parse(start)
	if err != nil || u.Host == "" {
		return scope{}, fmt.Errorf("scrape URL %q is not an absolute URL", start)
	}
	sc := scope{maxDepth: cmp.Or(max(maxDepth, 0), DefaultMaxDepth)}
	for _, h := range append([]string{u.Host}, hosts...) {
		sc.hosts = append(sc.hosts, normalizeHost(strings.ToLower(u.Scheme), h))
	}
	return sc, nil
}

// follow decides a next link found on a page at depth: why it is not
// followed, or "" to follow it. An empty link is no refusal: the site ends
// there.
func (sc scope) follow(link string, depth int, visited *Visited) Refusal {
	if link == "" {
		return ""
	}
	norm, err := NormalizeURL(link)
	if err != nil {
		return RefusedBadLink
	}
	u, _ := url.Parse(norm)
	switch {
	case visited.Has(norm):
		return RefusedVisited
	case !slices.Contains(sc.hosts, u.Host):
		return RefusedOtherHost
	case depth+1 > sc.maxDepth:
		return RefusedDepth
	}
	return ""
}
