// Package sigv4 verifies AWS Signature Version 4 as API Gateway (on AWS_IAM
// methods) and the Lambda Invoke API do, against the local cloud's own
// credentials, and writes the answers those services give when they refuse.
//
// A request is verified by signing it again: [Verifier.Verify] rebuilds the
// request from the method, the escaped path, the query and the headers the
// client listed in SignedHeaders, hashes the body, and has the AWS SDK for Go
// v2's own signer (aws/signer/v4) sign it with the caller's secret at the
// caller's X-Amz-Date. The signatures are compared in constant time. The
// canonical request is never built by hand here.
//
// Checked, in the order AWS checks them (and refused with AWS's words):
//   - an Authorization header is present ([Missing]) and well formed:
//     Credential, Signature and SignedHeaders given as key=value pairs, a date
//     header present, X-Amz-Date in ISO-8601 basic format ([Incomplete]);
//   - X-Amz-Date is within 5 minutes of now, either way ([Expired]);
//   - host is a signed header ([BadSignature]); the algorithm is
//     AWS4-HMAC-SHA256 and the credential has five elements ([Incomplete]);
//   - the credential scope names the verifier's region, the service, the
//     date of X-Amz-Date and aws4_request ([WrongScope]);
//   - the access key is known ([UnknownKey]);
//   - the signature matches, the body being hashed as received
//     ([BadSignature]);
//   - X-Amz-Security-Token is the identity's session token ([BadToken]).
//
// Refused because the local cloud does not verify them ([Unsupported]):
// presigned URLs (the signature in the query string), and requests dated by
// the Date header instead of X-Amz-Date.
//
// The payload is the body's SHA-256: API Gateway and Lambda do not accept
// UNSIGNED-PAYLOAD, and an X-Amz-Content-Sha256 header is only one more
// signed header, so a body changed after signing fails as a bad signature,
// as it does on AWS. S3 (service "s3") is the exception, as on AWS: its
// paths are signed escaped once, and UNSIGNED-PAYLOAD and
// STREAMING-UNSIGNED-PAYLOAD-TRAILER are signed as given (signed chunks,
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD, are refused as a bad signature: their
// chunk signatures are not verified). A signed Content-Length of 0 cannot be
// reproduced with the SDK's signer (it signs the length only when it is
// positive), so such a request fails as a bad signature too.
package sigv4
