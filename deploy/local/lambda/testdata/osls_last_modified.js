'use strict';

// Runs osls's own check-for-changes read of the deployed functions
// (getFunctionsEarliestLastModifiedDate: GetFunction for each, the earliest
// Configuration.LastModified) with the AWS SDK for JavaScript v3 osls
// ships, at AWS_ENDPOINT_URL_LAMBDA.
//
//   node osls_last_modified.js <osls dir> <function name>...
//
// Prints {"earliest": ISO date}; the Go test judges it.

const path = require('path');

const [oslsDir, ...names] = process.argv.slice(2);
const osls = (p) => require(path.join(oslsDir, 'lib', p));
const { buildClientConfig } = osls('aws/config');
const checkForChanges = osls('plugins/aws/deploy/lib/check-for-changes');

const deploy = Object.assign(
  {
    provider: {
      getAwsSdkV3Config: async () =>
        buildClientConfig({
          region: 'us-east-1',
          credentials: { accessKeyId: 'AKIAOPERATOROPERATOR', secretAccessKey: 'secret' },
        }),
    },
    serverless: {
      service: {
        getAllFunctions: () => names.map((n, i) => `fn${i}`),
        getFunction: (key) => ({ name: names[Number(key.slice(2))] }),
      },
    },
  },
  checkForChanges
);

deploy.getFunctionsEarliestLastModifiedDate().then(
  (date) => process.stdout.write(JSON.stringify({ earliest: date.toISOString() })),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  }
);
