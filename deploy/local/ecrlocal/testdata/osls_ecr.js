'use strict';

// Runs osls remove's check for the service's image repository
// (lib/plugins/aws/lib/check-if-ecr-repository-exists.js) with the AWS SDK
// for JavaScript v3 osls ships. The server is AWS_ENDPOINT_URL_ECR.
//
//   node osls_ecr.js <osls dir> <service> <stage> <account>
//
// Prints {"exists": …} or the error osls let through; the Go test judges it.

const path = require('path');

const [oslsDir, service, stage, account] = process.argv.slice(2);
const osls = (p) => require(path.join(oslsDir, 'lib', p));
const { buildClientConfig } = osls('aws/config');
const checkIfEcrRepositoryExists = osls('plugins/aws/lib/check-if-ecr-repository-exists');
const naming = osls('plugins/aws/lib/naming');

// The account comes from STS in osls (getAccountId); stslocal's test holds it.
const provider = {
  getAwsSdkV3Config: async () =>
    buildClientConfig({ region: 'us-east-1', credentials: { accessKeyId: 'AKIALOCAL', secretAccessKey: 'secret' } }),
  getAccountId: async () => account,
  getStage: () => stage,
  serverless: { service: { getServiceName: () => service } },
};
provider.naming = Object.assign({ provider }, naming);

const remove = Object.assign({ provider, serverless: { service: { provider: {} } } }, checkIfEcrRepositoryExists);

remove.checkIfEcrRepositoryExists().then(
  (exists) => process.stdout.write(JSON.stringify({ exists, repository: provider.naming.getEcrRepositoryName() })),
  (err) => process.stdout.write(JSON.stringify({ failure: { name: err.name, message: err.message } }))
);
