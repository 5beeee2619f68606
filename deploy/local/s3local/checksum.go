package s3local

import (
	"crypto/sha1" //nolint:gosec // S3's SHA1 checksum, not a security use
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strconv"
	"strings"
)

// The checksum types S3 records with an object.
const (
	fullObject = "FULL_OBJECT"
	composite  = "COMPOSITE"
)

// crc64NVME is CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5, all-ones
// initial value and final xor, as hash/crc64 computes every table).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// algorithms are S3's additional checksums by their name in the API.
var algorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"CRC64NVME": func() hash.Hash { return crc64.New(crc64NVME) },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
}

// checksum is an additional checksum: its algorithm, its base64 value ("-N"
// ending a composite of N parts) and its type. The zero value is none.
type checksum struct {
	alg, value, kind string
}

func checksumHeader(alg string) string { return "X-Amz-Checksum-" + strings.ToLower(alg) }

func digest(alg string, data []byte) []byte {
	h := algorithms[alg]()
	h.Write(data)
	return h.Sum(nil)
}

// fullChecksum is the full-object checksum of data.
func fullChecksum(alg string, data []byte) checksum {
	return checksum{alg: alg, value: base64.StdEncoding.EncodeToString(digest(alg, data)), kind: fullObject}
}

// compositeChecksum is the checksum of the parts' raw checksums, with the
// part count, as S3 computes a COMPOSITE multipart checksum.
func compositeChecksum(alg string, parts [][]byte) checksum {
	h := algorithms[alg]()
	for _, p := range parts {
		h.Write(p)
	}
	v := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
	return checksum{alg: alg, value: v, kind: composite}
}

// checksumAlgorithm reads an algorithm name as S3 does (any case); "" is none.
func checksumAlgorithm(name, value string) (string, error) {
	if value == "" {
		return "", nil
	}
	alg := strings.ToUpper(value)
	if _, ok := algorithms[alg]; !ok {
		return "", invalidRequest("Value for %s header is invalid.", name)
	}
	return alg, nil
}

// sentChecksum is the one checksum a request carries, in a header or in the
// aws-chunked trailer, checked for form but not yet against the payload.
func sentChecksum(h, trailer http.Header) (checksum, error) {
	var found []checksum
	for _, src := range []http.Header{h, trailer} {
		for name, values := range src {
			alg, ok := strings.CutPrefix(strings.ToUpper(name), "X-AMZ-CHECKSUM-")
			if !ok || alg == "ALGORITHM" || alg == "TYPE" || alg == "MODE" {
				continue
			}
			if _, known := algorithms[alg]; !known {
				return checksum{}, invalidRequest("Value for %s header is invalid.", strings.ToLower(name))
			}
			found = append(found, checksum{alg: alg, value: values[0], kind: fullObject})
		}
	}
	if len(found) > 1 {
		return checksum{}, invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	sdkAlg, err := checksumAlgorithm("x-amz-sdk-checksum-algorithm", h.Get("X-Amz-Sdk-Checksum-Algorithm"))
	if err != nil {
		return checksum{}, err
	}
	if len(found) == 0 {
		if sdkAlg != "" {
			return checksum{}, invalidRequest("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
		return checksum{}, nil
	}
	c := found[0]
	if sdkAlg != "" && sdkAlg != c.alg {
		return checksum{}, invalidRequest("Value for x-amz-sdk-checksum-algorithm header is invalid.")
	}
	raw, err := base64.StdEncoding.DecodeString(c.value)
	if err != nil || len(raw) != len(digest(c.alg, nil)) {
		return checksum{}, invalidRequest("Value for %s header is invalid.", strings.ToLower(checksumHeader(c.alg)))
	}
	return c, nil
}

// verify checks data against the checksum the client sent.
func (c checksum) verify(data []byte) error {
	if c.alg == "" || fullChecksum(c.alg, data).value == c.value {
		return nil
	}
	return s3err(http.StatusBadRequest, "BadDigest",
		"The %s you specified did not match the calculated checksum.", c.alg)
}

// raw is the checksum's bytes (a full-object value).
func (c checksum) raw() []byte {
	b, _ := base64.StdEncoding.DecodeString(c.value)
	return b
}

// setHeaders puts the checksum on an answer, as S3 does when the client asks
// for it (x-amz-checksum-mode: ENABLED) or has just sent it.
func (c checksum) setHeaders(h http.Header) {
	if c.alg == "" {
		return
	}
	h.Set(checksumHeader(c.alg), c.value)
	h.Set("X-Amz-Checksum-Type", c.kind)
}
