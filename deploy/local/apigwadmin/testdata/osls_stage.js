'use strict';

// Runs what osls deploy does to a REST API's stage once the stack is
// deployed: osls's own update-stage.js (its after:deploy:deploy hook, for
// provider.tracing.apiGateway and provider.stackTags as query-api and
// scraper set them), then, if given, this repository's stage-throttling
// plugin's after:deploy:deploy hook (custom.stageThrottling). With the AWS
// SDK for JavaScript v3 osls ships, at AWS_ENDPOINT_URL_API_GATEWAY,
// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_CLOUDWATCH_LOGS.
//
//   node osls_stage.js <osls dir> <plugin dir or -> <service> <api name> <stage>
//
// Prints {"stage": GetStage's answer, "logs": [...]} or {"failure": …}; the
// Go test judges it.

const path = require('path');

const [oslsDir, pluginDir, service, apiName, stage] = process.argv.slice(2);
const osls = (p) => require(path.join(oslsDir, 'lib', p));
const AwsProvider = osls('plugins/aws/provider');
const { buildClientConfig } = osls('aws/config');
const { updateStage } = osls('plugins/aws/package/compile/events/api-gateway/lib/hack/update-stage');
const { APIGatewayClient, GetRestApisCommand, GetStageCommand } = require(
  require.resolve('@aws-sdk/client-api-gateway', { paths: [oslsDir] })
);

const config = async () =>
  buildClientConfig({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIALOCALOPERATOR001', secretAccessKey: 'operator-secret' },
  });

// The stack as osls compiles query-api's: one REST API, one deployment of
// the stage, an http event.
const resources = {
  ApiGatewayRestApi: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: apiName } },
  ApiGatewayDeployment1700000000000: {
    Type: 'AWS::ApiGateway::Deployment',
    Properties: { RestApiId: { Ref: 'ApiGatewayRestApi' }, StageName: stage },
  },
};
const providerConfig = {
  name: 'aws',
  tracing: { lambda: true, apiGateway: true },
  stackTags: { project: 'moviepipe', stage },
  compiledCloudFormationTemplate: { Resources: resources },
};
const functions = { api: { events: [{ http: { path: '/movies/{id}', method: 'get' } }] } };

const provider = Object.create(AwsProvider.prototype);
Object.assign(provider, {
  getAwsSdkV3Config: config,
  getApiGatewayStage: () => stage,
  naming: { getApiGatewayName: () => apiName },
});

const serverless = {
  service: {
    service,
    provider: providerConfig,
    custom: { stageThrottling: { rateLimit: 100, burstLimit: 200 } },
  },
  utils: { isEventUsed: (fns, name) => Object.values(fns).some((f) => f.events.some((e) => e[name])) },
  classes: { Error },
  cli: { log: () => {} },
  getProvider: () => provider,
};

async function main() {
  // osls's updateStage runs with the api-gateway plugin as `this` and the
  // state osls package wrote (lib/plugins/aws/lib/get-service-state.js).
  const apiGatewayPlugin = {
    serverless,
    provider,
    options: { region: 'us-east-1', stage },
    state: { service: { service, provider: providerConfig, functions } },
  };
  await updateStage.call(apiGatewayPlugin);
  if (pluginDir !== '-') {
    const StageThrottling = require(pluginDir);
    await new StageThrottling(serverless, { stage, region: 'us-east-1' }).hooks['after:deploy:deploy']();
  }
  const client = new APIGatewayClient(await config());
  const apis = await client.send(new GetRestApisCommand({ limit: 500 }));
  const restApiId = apis.items.find((a) => a.name === apiName).id;
  const got = await client.send(new GetStageCommand({ restApiId, stageName: stage }));
  delete got.$metadata;
  return { stage: got };
}

main().then(
  (out) => process.stdout.write(JSON.stringify(out)),
  (err) =>
    process.stdout.write(
      JSON.stringify({ failure: { name: err.name, message: err.message, status: err.$metadata && err.$metadata.httpStatusCode } })
    )
);
