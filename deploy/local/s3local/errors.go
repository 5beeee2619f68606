package s3local

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error is an S3 error: the code S3 answers with, the HTTP status it comes
// with, and S3's message. The same values serve the HTTP API and Go callers,
// who decide on the code: errors.Is(err, ErrBucketNotEmpty) holds for every
// *Error whose Code is BucketNotEmpty, whatever its message.
type Error struct {
	Code    string
	Status  int
	Message string
	// Fields are the extra elements S3 adds to this error's XML, in order
	// (BucketName, Key, UploadId, Method, ...).
	Fields [][2]string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// The errors Go callers may act on.
var (
	// ErrNoSuchBucket: the bucket does not exist.
	ErrNoSuchBucket = &Error{Code: "NoSuchBucket", Status: http.StatusNotFound, Message: "The specified bucket does not exist"}
	// ErrBucketNotEmpty: a bucket must be emptied before it is deleted.
	ErrBucketNotEmpty = &Error{Code: "BucketNotEmpty", Status: http.StatusConflict, Message: "The bucket you tried to delete is not empty"}
	// ErrBucketAlreadyOwnedByYou: the bucket exists already, in this account.
	ErrBucketAlreadyOwnedByYou = &Error{Code: "BucketAlreadyOwnedByYou", Status: http.StatusConflict,
		Message: "Your previous request to create the named bucket succeeded and you already own it."}
	// ErrInvalidBucketName: the name breaks S3's bucket naming rules.
	ErrInvalidBucketName = &Error{Code: "InvalidBucketName", Status: http.StatusBadRequest, Message: "The specified bucket is not valid."}
)

// with returns a copy of e carrying extra XML elements.
func (e *Error) with(fields ...string) *Error {
	c := *e
	c.Fields = append([][2]string(nil), e.Fields...)
	for i := 0; i+1 < len(fields); i += 2 {
		c.Fields = append(c.Fields, [2]string{fields[i], fields[i+1]})
	}
	return &c
}

func s3err(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

func noSuchBucket(name string) *Error { return ErrNoSuchBucket.with("BucketName", name) }

func noSuchKey(key string) *Error {
	return s3err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.").with("Key", key)
}

func noSuchUpload(id string) *Error {
	return s3err(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.").
		with("UploadId", id)
}

func invalidArgument(name, value, format string, args ...any) *Error {
	return s3err(http.StatusBadRequest, "InvalidArgument", format, args...).
		with("ArgumentName", name, "ArgumentValue", value)
}

func invalidRequest(format string, args ...any) *Error {
	return s3err(http.StatusBadRequest, "InvalidRequest", format, args...)
}

func malformedXML() *Error {
	return s3err(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
}

// notImplemented is S3's answer to a request for functionality it does not
// have; here, functionality this emulator does not have. what names it.
func notImplemented(what string) *Error {
	return s3err(http.StatusNotImplemented, "NotImplemented",
		"A header or query you provided implies functionality that is not implemented: %s (s3local)", what)
}

func methodNotAllowed(method, resource string) *Error {
	return s3err(http.StatusMethodNotAllowed, "MethodNotAllowed",
		"The specified method is not allowed against this resource.").
		with("Method", method, "ResourceType", resource)
}

// writeError answers with err as S3 does: its status, and for anything but a
// HEAD request, the error document. An error that is not an *Error is an
// InternalError, its text kept from the client.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = s3err(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	}
	if e.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, HEAD, PUT, POST, DELETE")
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	element(&b, "Code", e.Code)
	element(&b, "Message", e.Message)
	for _, f := range e.Fields {
		element(&b, f[0], f[1])
	}
	element(&b, "RequestId", w.Header().Get("X-Amz-Request-Id"))
	element(&b, "HostId", w.Header().Get("X-Amz-Id-2"))
	b.WriteString("</Error>")
	_, _ = w.Write([]byte(b.String()))
}

func element(b *strings.Builder, name, value string) {
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(value))
	b.WriteString("</" + name + ">")
}

// requestIDs sets the identifiers S3 puts on every answer.
func requestIDs(h http.Header) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	h.Set("X-Amz-Request-Id", strings.ToUpper(hex.EncodeToString(id[:])))
	h.Set("X-Amz-Id-2", hex.EncodeToString(id[:])+"/s3local")
	h.Set("Server", "AmazonS3")
}
