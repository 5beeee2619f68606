// Package s3local is a small in-memory S3 for the local cloud: what the osls
// CLI does with its deployment bucket (deploy, info, rollback, remove), over
// S3's REST-XML wire format, as the AWS SDKs for Go v2 and JavaScript v3 speak
// it. The local CloudFormation makes buckets with Server.CreateBucket and
// reads templates with Server.GetObject; clients reach ServeHTTP through the
// SDK's endpoint settings (AWS_ENDPOINT_URL_S3=http://127.0.0.1:PORT).
//
// # Emulated
//
//   - Buckets: CreateBucket (the region's location constraint, S3's naming
//     rules, BucketAlreadyOwnedByYou but in us-east-1, where S3 answers 200),
//     HeadBucket (with x-amz-bucket-region), GetBucketLocation, ListBuckets,
//     DeleteBucket (409 BucketNotEmpty while it holds objects).
//   - Objects: PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects
//     (up to 1,000 keys, Content-MD5 or a checksum required); bytes, ETag
//     (the MD5, quoted), Last-Modified, Content-Type (binary/octet-stream
//     by default) and the other representation headers, user metadata
//     (x-amz-meta-*, 2 KB at most). Every object is SSE-S3 (AES256), as S3
//     encrypts every object.
//   - Listings: ListObjectsV2 (prefix, delimiter, max-keys up to 1,000,
//     continuation-token, start-after, encoding-type=url) and
//     ListObjectVersions, which lists each object once as its null version:
//     the buckets are unversioned.
//   - Multipart uploads: CreateMultipartUpload, UploadPart,
//     CompleteMultipartUpload (parts in ascending order, each 5 MiB but the
//     last, 10,000 at most; the ETag "<md5 of the parts' md5s>-<n>"),
//     AbortMultipartUpload.
//   - Integrity, as S3 checks it: x-amz-content-sha256 against the payload,
//     Content-MD5, and the additional checksums (CRC32, CRC32C, CRC64NVME,
//     SHA1, SHA256) in a header or in the trailer of an aws-chunked body
//     (STREAMING-UNSIGNED-PAYLOAD-TRAILER, as the SDKs send streams; signed
//     chunks are decoded, their signatures left to the front door). An object
//     keeps its checksum (CRC64NVME when none was sent, as S3 computes; the
//     COMPOSITE or FULL_OBJECT checksum of a multipart upload) and answers
//     with it when asked (x-amz-checksum-mode: ENABLED).
//   - Errors as S3 answers them: the XML error document (none for HEAD),
//     with S3's codes, messages and statuses.
//
// # Not emulated, and refused rather than ignored
//
// A request that asks for anything else is answered 501 NotImplemented,
// naming what it asked for: any query parameter an operation does not read,
// so every other subresource (?acl, ?policy, ?versioning, ?tagging,
// ?lifecycle, ?cors, ...) and versionId; ListObjects version 1, ListParts,
// ListMultipartUploads, CopyObject and UploadPartCopy (x-amz-copy-source),
// browser POST uploads; presigned URLs; Range and conditional requests
// (If-*); SSE-KMS and SSE-C; storage classes but STANDARD; object lock,
// tagging and every other x-amz- header not listed above. ACLs are refused as
// S3 refuses them in a bucket with ACLs disabled (BucketOwnerEnforced, S3's
// default): 400 AccessControlListNotSupported, bucket-owner-full-control
// excepted. A request with no Authorization header is anonymous and denied
// (403 AccessDenied), the buckets being private; SigV4 itself is verified in
// front of this handler, by the local cloud's front door, not here.
//
// Only path-style addressing is served (the SDKs use it for an IP endpoint
// such as 127.0.0.1, and with UsePathStyle/forcePathStyle), in one region,
// for one account; the server is an http.Handler for a whole listener (a
// ServeMux would clean the keys' paths). Nothing is persisted.
package s3local
