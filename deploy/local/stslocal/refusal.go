package stslocal

import (
	"net/http"

	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// refusal is how STS answers a request whose signature it refuses: the
// query protocol's error codes for SigV4 (the STS API Reference's "Common
// Errors"), with the words AWS sends.
func refusal(f *sigv4.Failure) *apiError {
	switch f.Reason {
	case sigv4.Missing:
		// A Go SDK v2 client seeing it (cert-manager/aws-privateca-issuer#40):
		// "api error MissingAuthenticationToken: Request is missing
		// Authentication Token", 403.
		return &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	case sigv4.Incomplete, sigv4.Unsupported:
		// The AWS CLI against STS (jenkinsci/aws-credentials-plugin#72):
		// IncompleteSignature with the text the other services send.
		return &apiError{http.StatusBadRequest, "IncompleteSignature", f.Message}
	case sigv4.UnknownKey, sigv4.BadToken:
		return &apiError{http.StatusForbidden, "InvalidClientTokenId", f.Message}
	default:
		// A bad signature, an expired one or a wrong scope: STS says
		// SignatureDoesNotMatch for each (the query protocol has no
		// InvalidSignatureException).
		return &apiError{http.StatusForbidden, "SignatureDoesNotMatch", f.Message}
	}
}
