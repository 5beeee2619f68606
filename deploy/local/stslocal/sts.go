// Package stslocal is the local cloud's AWS STS: GetCallerIdentity, the one
// STS call osls makes (its provider's getAccountInfo, for the account id and
// partition of deploy and remove), over the query protocol the AWS SDKs speak
// to STS (form-encoded POST, XML answers). Every request is verified first;
// the answer names who signed it. Any other action is refused with
// InvalidAction naming it.
//
// Answers and errors follow the STS API Reference: GetCallerIdentity's
// result (Account, Arn, UserId) and the common errors of the query protocol
// (ErrorResponse/Error/{Type, Code, Message}, RequestId).
package stslocal

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// xmlns is STS's namespace in its answers.
const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// maxBody bounds a request's form; GetCallerIdentity's is a few dozen bytes.
const maxBody = 64 << 10

// Caller is what GetCallerIdentity answers of the principal that signed
// the request.
type Caller struct {
	Account string
	// ARN is arn:aws:iam::ACCOUNT:user/NAME for a user,
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION for an assumed role.
	ARN string
	// UserID is the principal's unique id: AIDA… for a user, AROA…:SESSION
	// for an assumed role.
	UserID string
}

// FromIdentity returns the caller a verified identity is.
func FromIdentity(id sigv4.Identity) Caller {
	return Caller{Account: id.AccountID(), ARN: id.ARN, UserID: id.UserID}
}

// Service serves STS.
type Service struct {
	// Verify checks the request's SigV4 signature (service "sts") and returns
	// the identity that signed it, or why it is refused. Required: STS
	// answers who signed the request, so it cannot answer unverified ones.
	Verify func(r *http.Request, body []byte) (sigv4.Identity, *sigv4.Failure)
	// Caller returns the caller a verified access key is, false if the local
	// cloud knows no principal for it (answered InvalidClientTokenId). Nil:
	// the verified identity's own account, ARN and user id (FromIdentity).
	Caller func(accessKeyID string) (Caller, bool)
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		fail(w, errMalformed("the request body could not be read, or is over 64 KiB"))
		return
	}
	if s.Verify == nil {
		fail(w, &apiError{http.StatusInternalServerError, "InternalFailure", "the local STS has no SigV4 verifier"})
		return
	}
	id, f := s.Verify(r, body)
	if f != nil {
		fail(w, refusal(f))
		return
	}
	form, err := readForm(r, body)
	if err != nil {
		fail(w, errMalformed(err.Error()))
		return
	}
	switch action := form.Get("Action"); action {
	case "GetCallerIdentity":
		s.getCallerIdentity(w, id)
	case "":
		fail(w, &apiError{http.StatusBadRequest, "MissingAction", "Missing Action"})
	default:
		fail(w, &apiError{http.StatusBadRequest, "InvalidAction",
			fmt.Sprintf("%s is not an action the local STS emulates (it answers GetCallerIdentity only)", action)})
	}
}

// readForm reads the query protocol's parameters: the form-encoded body of
// a POST, or the query string of a GET.
func readForm(r *http.Request, body []byte) (url.Values, error) {
	if r.Method == http.MethodGet {
		return r.URL.Query(), nil
	}
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("STS takes POST (or GET) requests, not %s", r.Method)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("the request body is not form-encoded: %w", err)
	}
	return form, nil
}

func (s *Service) getCallerIdentity(w http.ResponseWriter, id sigv4.Identity) {
	c, ok := FromIdentity(id), true
	if s.Caller != nil {
		c, ok = s.Caller(id.AccessKeyID)
	}
	if !ok {
		fail(w, &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."})
		return
	}
	result := struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}{c.ARN, c.UserID, c.Account}
	writeXML(w, http.StatusOK, struct {
		XMLName  xml.Name `xml:"GetCallerIdentityResponse"`
		Xmlns    string   `xml:"xmlns,attr"`
		Result   any      `xml:"GetCallerIdentityResult"`
		Metadata struct {
			RequestID string `xml:"RequestId"`
		} `xml:"ResponseMetadata"`
	}{Xmlns: xmlns, Result: result, Metadata: struct {
		RequestID string `xml:"RequestId"`
	}{requestID(w)}})
}

// apiError is an error answered in the query protocol's shape.
type apiError struct {
	status        int
	code, message string
}

func errMalformed(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "MalformedQueryString", msg}
}

// fail writes <ErrorResponse><Error><Type/><Code/><Message/></Error>
// <RequestId/></ErrorResponse>; Type is Receiver for a 5xx, else Sender.
func fail(w http.ResponseWriter, e *apiError) {
	doc := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{Xmlns: xmlns}
	doc.Error.Type, doc.Error.Code, doc.Error.Message = "Sender", e.code, e.message
	if e.status >= 500 {
		doc.Error.Type = "Receiver"
	}
	doc.RequestID = requestID(w)
	writeXML(w, e.status, doc)
}

func writeXML(w http.ResponseWriter, status int, doc any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
		// Only a type the encoder cannot take fails here: ours never do.
		http.Error(w, "encode answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// requestID sets and returns the answer's request id (x-amzn-RequestId).
func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get("X-Amzn-Requestid"); id != "" {
		return id
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	id := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	w.Header().Set("X-Amzn-Requestid", id)
	return id
}
