package scraper

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/profile"
)

// Pages remembers what each page held when a run last published it, so
// that the next run asks for it conditionally and skips publishing a page
// whose records did not change.
type Pages interface {
	// Recall is what was remembered of url; the zero PageMemory when
	// nothing is.
	Recall(ctx context.Context, url string) (PageMemory, error)
	// Remember keeps m for url, over what was kept.
	Remember(ctx context.Context, url string, m PageMemory) error
}

// PageMemory is a page as a run published it: its answer's validators, a
// hash of the movies read from it, and what a run needs to go on from it
// without its body (the next link, the layout).
type PageMemory struct {
	fetch.Validators
	Hash    string `json:"hash"`
	Next    string `json:"next"`
	Profile string `json:"profile"` // profileKey of the profile it was read with
}

// moviesHash is the hash of a page's movies: what its records say, without
// when or by which run they were read; "" when they cannot be hashed.
func moviesHash(movies []profile.Movie) string {
	data, err := json.Marshal(movies) // map keys in order
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// recall is what is remembered of a page, unless the run is forced or
// nothing is kept; a memory that cannot be read is none (the page is
// published again, which is always safe).
func (s *Scraper) recall(ctx context.Context, st State, url string) PageMemory {
	if s.Pages == nil || st.Force {
		return PageMemory{}
	}
	m, err := s.Pages.Recall(ctx, url)
	if err != nil {
		s.log().WarnContext(ctx, "the page's memory could not be read: it is published again", "runId", st.RunID, "url", url, "error", err)
		return PageMemory{}
	}
	if m.Profile == "" || m.Profile != s.profileKey(m.Profile) {
		return PageMemory{} // read with another profile, or another version of it
	}
	return m
}

// profileKey is what the memory says of the profile a page was read with:
// its name and a hash of its definition, so that a page read with another
// profile, or another version of the same one, is read again.
func profileKey(p *profile.Profile) string {
	data, _ := json.Marshal(p) // the definition's fields: cannot fail
	sum := sha256.Sum256(data)
	return p.Name + "@" + hex.EncodeToString(sum[:8])
}

// profileKey is the key of the profile a page remembered as key would be
// read with now: the configured one, or the built-in of key's name ("" if
// there is none).
func (s *Scraper) profileKey(key string) string {
	if s.Profile != nil {
		return profileKey(s.Profile)
	}
	name, _, _ := strings.Cut(key, "@")
	p, err := profile.Builtin(name)
	if err != nil {
		return ""
	}
	return profileKey(p)
}

// remember keeps what a page held; a memory not kept costs only a page
// published again next time.
func (s *Scraper) remember(ctx context.Context, url string, m PageMemory) {
	if s.Pages == nil {
		return
	}
	if err := s.Pages.Remember(ctx, url, m); err != nil {
		s.log().WarnContext(ctx, "the page's memory was not kept", "url", url, "error", err)
	}
}
