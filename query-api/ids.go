package queryapi

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/moviepipe/moviepipe/contracts"
)

// The id and year rules come from movie-record.v1 itself, so the API accepts
// exactly the ids and years the contract does.
var (
	idPattern        *regexp.Regexp
	idMaxLength      int
	MinYear, MaxYear int
)

func init() {
	raw, err := contracts.Schema(contracts.MovieRecordV1)
	if err != nil {
		panic(err) // the schema is embedded: this is a build error
	}
	var s struct {
		Defs struct {
			MovieID struct {
				Pattern   string `json:"pattern"`
				MaxLength int    `json:"maxLength"`
			} `json:"movieId"`
			Year struct {
				Minimum int `json:"minimum"`
				Maximum int `json:"maximum"`
			} `json:"year"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || s.Defs.MovieID.Pattern == "" || s.Defs.Year.Maximum == 0 {
		panic(fmt.Sprintf("movie-record.v1 has no movieId or year rules: %v", err))
	}
	idPattern = regexp.MustCompile(s.Defs.MovieID.Pattern)
	idMaxLength = s.Defs.MovieID.MaxLength
	MinYear, MaxYear = s.Defs.Year.Minimum, s.Defs.Year.Maximum
}

// ValidID reports whether id is a movie id under the contract.
func ValidID(id string) bool {
	return len(id) <= idMaxLength && idPattern.MatchString(id)
}
