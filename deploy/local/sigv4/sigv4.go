package sigv4

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"
)

// Verifier verifies SigV4 signatures against the identities Keys knows.
type Verifier struct {
	// Keys returns the identity of an access key ID; false if it is unknown.
	Keys func(accessKeyID string) (Identity, bool)
	// Now is the clock the signing time is checked against; nil: time.Now.
	Now func() time.Time
	// Region is the region credentials must be scoped to.
	Region string
}

// Reason says why a request is refused.
type Reason int

// The reasons a request is refused, each answered with its own error type.
const (
	// Missing: no Authorization header.
	Missing Reason = iota + 1
	// Incomplete: an Authorization header that is not a complete SigV4 one.
	Incomplete
	// Unsupported: a kind of signature the local cloud does not verify.
	Unsupported
	// Expired: X-Amz-Date more than 5 minutes from now, either way.
	Expired
	// WrongScope: the credential scope names another region, service or date.
	WrongScope
	// UnknownKey: an access key ID the local cloud does not know.
	UnknownKey
	// BadSignature: the signature does not match the request.
	BadSignature
	// BadToken: X-Amz-Security-Token is not the identity's session token.
	BadToken
)

var reasonNames = map[Reason]string{
	Missing: "missing", Incomplete: "incomplete", Unsupported: "unsupported", Expired: "expired",
	WrongScope: "wrong scope", UnknownKey: "unknown key", BadSignature: "bad signature", BadToken: "bad token",
}

func (r Reason) String() string {
	if name, ok := reasonNames[r]; ok {
		return name
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Failure says why a request is refused, in AWS's words for the service that
// refuses it.
type Failure struct {
	Reason Reason
	// Message is the text AWS sends the client.
	Message string
	// CanonicalRequest and StringToSign are what the local cloud signed, set
	// when the signature does not match. API Gateway sends them to the client
	// after Message; Lambda does not.
	CanonicalRequest, StringToSign string
	// Detail explains, for the logs, what Message does not (a kind of
	// signature not verified, a signer error); never sent.
	Detail string
}

func (f *Failure) Error() string { return "sigv4 " + f.Reason.String() + ": " + f.Message }

func fail(reason Reason, format string, args ...any) *Failure {
	return &Failure{Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Verify checks r, whose body is given already read, signed for service
// ("execute-api", "lambda"). It returns the identity that signed r, or why r
// is refused.
func (v Verifier) Verify(r *http.Request, body []byte, service string) (Identity, *Failure) {
	auth, f := readAuthorization(r)
	if f != nil {
		return Identity{}, f
	}
	at, f := signingTime(r.Header)
	if f != nil {
		return Identity{}, f
	}
	if f := checkClock(at, v.now()); f != nil {
		return Identity{}, f
	}
	if f := auth.checkForm(); f != nil {
		return Identity{}, f
	}
	sc, f := parseScope(auth.credential)
	if f != nil {
		return Identity{}, f
	}
	if f := sc.check(v.Region, service, at); f != nil {
		return Identity{}, f
	}
	id, ok := v.identity(sc.accessKeyID)
	if !ok {
		return Identity{}, fail(UnknownKey, invalidToken)
	}
	signed, err := resign(r, body, auth, id, sc, at)
	if err != nil {
		return Identity{}, &Failure{Reason: BadSignature, Message: signatureMismatch, Detail: err.Error()}
	}
	if subtle.ConstantTimeCompare([]byte(signed.signature), []byte(auth.signature)) != 1 {
		return Identity{}, &Failure{Reason: BadSignature, Message: signatureMismatch,
			CanonicalRequest: signed.canonical, StringToSign: signed.stringToSign}
	}
	if f := checkToken(r.Header.Get("X-Amz-Security-Token"), id.SessionToken); f != nil {
		return Identity{}, f
	}
	return id, nil
}

func (v Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v Verifier) identity(accessKeyID string) (Identity, bool) {
	if v.Keys == nil {
		return Identity{}, false
	}
	return v.Keys(accessKeyID)
}

// The texts of AWS's answers. Their sources are cited where they are used
// and in answer.go.
const (
	// invalidToken: AWS KC "How do I troubleshoot HTTP 403 errors from API
	// Gateway?"; iamlive#58 and wso2/api-manager#5138 (Lambda, 403).
	invalidToken = "The security token included in the request is invalid."
	// signatureMismatch: erlcloud#690 (Lambda Invoke, 403, the whole body);
	// mhart/aws4#33 and aws-sdk-js#2372 (API Gateway, followed by the
	// canonical request).
	signatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// checkToken compares the session token sent with the identity's. AWS checks
// it after the signature. The text has no final period when a token was sent
// (a captured AWS answer quoted in mhart/dynalite's validations.js), and has
// one when a temporary key comes without its token.
func checkToken(sent, want string) *Failure {
	switch sent {
	case want:
		return nil
	case "":
		return fail(BadToken, invalidToken)
	default:
		return fail(BadToken, "The security token included in the request is invalid")
	}
}
