'use strict';

// Runs osls's own account lookup (AwsProvider#getAccountInfo, which deploy
// and remove call, and update-stage.js and check-for-changes.js reuse) with
// the AWS SDK for JavaScript v3 it ships. The server is AWS_ENDPOINT_URL_STS.
//
//   node osls_account.js <osls dir> <access key id> <secret> [session token]
//
// Prints what osls made of the answer; the Go test judges it. A refused call
// prints the error's name, status and message instead.

const path = require('path');

const [oslsDir, accessKeyId, secretAccessKey, sessionToken] = process.argv.slice(2);
const AwsProvider = require(path.join(oslsDir, 'lib', 'plugins', 'aws', 'provider'));
const { buildClientConfig } = require(path.join(oslsDir, 'lib', 'aws', 'config'));

// provider is an AwsProvider with only what getAccountInfo uses.
const provider = Object.create(AwsProvider.prototype);
provider.getAwsSdkV3Config = async () =>
  buildClientConfig({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey, sessionToken } });

async function main() {
  try {
    const info = await provider.getAccountInfo();
    const accountId = await provider.getAccountId();
    return { info, accountId };
  } catch (err) {
    return { failure: { name: err.name, status: err.$metadata && err.$metadata.httpStatusCode, message: err.message } };
  }
}

main().then(
  (out) => process.stdout.write(JSON.stringify(out)),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  }
);
