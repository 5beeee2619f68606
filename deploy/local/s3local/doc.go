// Package s3local is a small in-memory S3 for the local cloud (work in
// progress: the request framing S3 checks comes first).
package s3local
