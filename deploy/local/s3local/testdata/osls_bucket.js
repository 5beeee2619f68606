'use strict';

// Uses s3local as osls uses its deployment bucket, with osls's own code and
// the AWS SDK for JavaScript v3 it ships. The server is AWS_ENDPOINT_URL_S3.
//
//   node osls_bucket.js deploy <osls dir> <bucket> <service dir> <zip>
//     osls's uploadArtifacts (template, state, the zip through lib-storage),
//     five older deployments, check-for-changes' listing and HeadObjects,
//     rollback's GetObject, a stream PutObject (aws-chunked), error answers.
//   node osls_bucket.js remove <osls dir> <bucket>
//     osls's cleanupS3Bucket (keeps the 5 newest deployments), then remove's
//     emptying with versioning on (ListObjectVersions, DeleteObjects).
//
// Prints one JSON document of what it saw; the Go test judges it.

const fs = require('fs');
const path = require('path');
const { Readable } = require('stream');

const [phase, oslsDir, bucket, serviceDir, zipPath] = process.argv.slice(2);
const osls = (p) => require(path.join(oslsDir, 'lib', p));
const s3sdk = require(require.resolve('@aws-sdk/client-s3', { paths: [oslsDir] }));

const { buildClientConfig } = osls('aws/config');
const uploadArtifacts = osls('plugins/aws/deploy/lib/upload-artifacts');
const uploadZipFile = osls('plugins/aws/lib/upload-zip-file');
const checkForChanges = osls('plugins/aws/deploy/lib/check-for-changes');
const checkIfBucketExists = osls('plugins/aws/lib/check-if-bucket-exists');
const cleanupS3Bucket = osls('plugins/aws/deploy/lib/cleanup-s3-bucket');
const removeBucket = osls('plugins/aws/remove/lib/bucket');

const service = 'svc';
const stage = 'local';
const prefix = 'serverless';
const provider = {
  getAwsSdkV3Config: async () =>
    buildClientConfig({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'secret' },
    }),
  isS3TransferAccelerationEnabled: () => false,
  getDeploymentPrefix: () => prefix,
  getStage: () => stage,
  naming: {
    getCompiledTemplateS3Suffix: () => 'compiled-cloudformation-template.json',
    getServiceStateFileName: () => 'serverless-state.json',
    getFunctionArtifactName: (name) => `${name}.zip`,
    getCustomResourcesArtifactName: () => 'custom-resources.zip',
    getStackName: () => `${service}-${stage}`,
  },
};

const template = {
  AWSTemplateFormatVersion: '2010-09-09',
  Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
};

// plugin is the `this` osls's deploy and remove plugins run with.
function plugin(directory, deploymentBucketObject) {
  return Object.assign({}, uploadArtifacts, uploadZipFile, checkForChanges, checkIfBucketExists,
    cleanupS3Bucket, removeBucket, {
      provider,
      bucketName: bucket,
      options: {},
      packagePath: path.join(serviceDir || '.', '.serverless'),
      serverless: {
        serviceDir,
        utils: { fileExistsSync: fs.existsSync },
        service: {
          service,
          package: { artifactDirectoryName: directory },
          provider: { compiledCloudFormationTemplate: template, deploymentBucketObject },
          getAllFunctions: () => ['scraper'],
          getFunction: () => ({ package: { artifact: zipPath } }),
          getAllLayers: () => [],
        },
      },
    });
}

function directory(i) {
  const ms = 1700000000000 + i * 1000;
  return `${prefix}/${service}/${stage}/${ms}-${new Date(ms).toISOString()}`;
}

async function failure(promise) {
  try {
    await promise;
    return null;
  } catch (err) {
    return { name: err.name, status: err.$metadata && err.$metadata.httpStatusCode };
  }
}

async function deploy() {
  const out = {};
  fs.mkdirSync(path.join(serviceDir, '.serverless'), { recursive: true });
  fs.writeFileSync(path.join(serviceDir, '.serverless', 'serverless-state.json'),
    JSON.stringify({ service: { provider: {} }, package: {} }));
  const first = plugin(directory(0));
  out.bucketExists = await first.checkIfBucketExists(bucket);
  out.missingBucketExists = await first.checkIfBucketExists('no-such-bucket');
  for (let i = 0; i < 5; i++) {
    const older = plugin(directory(i));
    await older.uploadCloudFormationFile();
    await older.uploadStateFile();
  }
  const latest = plugin(directory(5));
  await latest.uploadArtifacts();

  const recent = await latest.getMostRecentObjects();
  const heads = await latest.getObjectMetadata(recent);
  out.mostRecent = heads.map((h) => ({
    key: h.Key, filesha256: h.Metadata.filesha256, contentType: h.ContentType,
    contentLength: h.ContentLength, etag: h.ETag,
  }));

  const s3 = new s3sdk.S3Client(await provider.getAwsSdkV3Config());
  const got = await s3.send(new s3sdk.GetObjectCommand({
    Bucket: bucket, Key: `${directory(5)}/compiled-cloudformation-template.json`,
  }));
  out.template = await got.Body.transformToString();
  const stream = await s3.send(new s3sdk.PutObjectCommand({
    Bucket: bucket, Key: 'streamed/object', ContentLength: 11,
    Body: Readable.from([Buffer.from('hello world')]),
  }));
  out.streamETag = stream.ETag;
  out.headMissing = await failure(s3.send(new s3sdk.HeadObjectCommand({ Bucket: bucket, Key: 'nothing' })));
  out.getMissing = await failure(s3.send(new s3sdk.GetObjectCommand({ Bucket: bucket, Key: 'nothing' })));
  out.tagging = await failure(s3.send(new s3sdk.PutObjectTaggingCommand({
    Bucket: bucket, Key: 'streamed/object', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] },
  })));
  return out;
}

async function remove() {
  const out = {};
  const s3 = new s3sdk.S3Client(await provider.getAwsSdkV3Config());
  const dirs = async () => {
    const res = await s3.send(new s3sdk.ListObjectsV2Command({
      Bucket: bucket, Prefix: `${prefix}/${service}/${stage}/`, Delimiter: '/',
    }));
    return (res.CommonPrefixes || []).map((p) => p.Prefix);
  };
  out.before = await dirs();
  await plugin(directory(5)).cleanupS3Bucket();
  out.afterCleanup = await dirs();
  const versions = await s3.send(new s3sdk.ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
  out.versionIds = [...new Set((versions.Versions || []).map((v) => v.VersionId))];
  await plugin(directory(5), { versioning: true }).listObjects();
  out.afterRemove = await dirs();
  return out;
}

(phase === 'deploy' ? deploy() : remove()).then(
  (out) => process.stdout.write(JSON.stringify(out)),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  }
);
