package examples_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/moviepipe/moviepipe/contracts"
	"github.com/moviepipe/moviepipe/contracts/examples"
)

// A service's contract test reads the same examples as the contracts module:
// here, every undecodable one is refused as not I-JSON.
func ExampleInvalid() {
	for _, e := range examples.Invalid() {
		if strings.HasPrefix(e.Name, "undecodable--") {
			err := contracts.Validate(contracts.MovieRecordV1, e.Data)
			fmt.Println(e.Name, errors.Is(err, contracts.ErrNotJSON))
		}
	}
	// Output:
	// undecodable--duplicate-member-name true
	// undecodable--invalid-utf8 true
	// undecodable--lone-surrogate true
	// undecodable--truncated-json true
	// undecodable--two-documents true
}
