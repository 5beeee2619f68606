package queryapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
)

// Cursor makes the opaque "next" tokens of a listing. A token holds the
// position and the listing it belongs to (all movies, or one year), sealed
// with an HMAC under Key: a token that was altered, issued for another
// listing or sealed with another key, is refused. Tokens are opaque, not
// secret; Key is (the stage's generated secret, read by cursorkey).
type Cursor struct{ Key []byte }

var errCursor = errors.New("invalid cursor")

type cursorBody struct {
	V    int    `json:"v"`
	ID   string `json:"id"`
	Year *int   `json:"y,omitempty"`
}

const macSize = 16

// Encode returns the token for position k in the listing of year (nil: all).
func (c Cursor) Encode(k Key, year *int) string {
	body, _ := json.Marshal(cursorBody{V: 1, ID: k.ID, Year: k.Year})
	mac := c.mac(body, year)
	return base64.RawURLEncoding.EncodeToString(append(mac, body...))
}

// Decode checks a token against the listing of year and returns its position.
func (c Cursor) Decode(token string, year *int) (Key, error) {
	if len(token) > 512 {
		return Key{}, errCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) <= macSize {
		return Key{}, errCursor
	}
	mac, body := raw[:macSize], raw[macSize:]
	if !hmac.Equal(mac, c.mac(body, year)) {
		return Key{}, errCursor
	}
	var b cursorBody
	if err := json.Unmarshal(body, &b); err != nil || b.V != 1 || !ValidID(b.ID) {
		return Key{}, errCursor
	}
	// A year listing's position is in the year index and names its year.
	if (year == nil) != (b.Year == nil) || year != nil && *year != *b.Year {
		return Key{}, errCursor
	}
	return Key{ID: b.ID, Year: b.Year}, nil
}

func (c Cursor) mac(body []byte, year *int) []byte {
	m := hmac.New(sha256.New, c.Key)
	listing := "all"
	if year != nil {
		listing = "year=" + strconv.Itoa(*year)
	}
	m.Write([]byte(listing))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:macSize]
}
