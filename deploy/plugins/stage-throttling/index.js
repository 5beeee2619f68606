'use strict';

// osls has no setting for a REST API's stage throttling. This plugin applies
// custom.stageThrottling ({ rateLimit, burstLimit }) the way osls itself
// applies provider.tracing.apiGateway: an UpdateStage after the stack is
// deployed (osls lib/plugins/aws/package/compile/events/api-gateway/lib/hack/
// update-stage.js). It does not use the Deployment's StageDescription:
// osls creates a new AWS::ApiGateway::Deployment on every changed deploy, and
// CloudFormation rejects a Deployment whose StageDescription names a stage
// that already exists, so every redeploy after the first would fail
// (TestOldConfigurationsFail in deploy/local/cloud reproduces it with osls).
//
// The stage exists by then: osls's own hook, registered before this plugin's,
// creates it if the stack did not. The local cloud's `make up`, which does not
// run osls deploy, applies the same two patch operations from the packaged state
// (deploy/local/cloud, TestStageThrottlingFromState).
const { APIGatewayClient, GetRestApisCommand, UpdateStageCommand } = require('@aws-sdk/client-api-gateway');

class StageThrottling {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options || {};
    this.provider = serverless.getProvider('aws');
    this.hooks = {
      'before:package:finalize': () => this.settings(),
      'after:deploy:deploy': () => this.apply(),
    };
  }

  // settings checks custom.stageThrottling at package time, so a bad value
  // fails the package rather than a deploy that is half done.
  settings() {
    const t = (this.serverless.service.custom || {}).stageThrottling;
    if (!t) return null;
    if (!(Number(t.rateLimit) > 0) || !(Number.isInteger(Number(t.burstLimit)) && Number(t.burstLimit) > 0)) {
      throw new this.serverless.classes.Error(
        'custom.stageThrottling needs a positive rateLimit and a positive whole burstLimit'
      );
    }
    return { rateLimit: Number(t.rateLimit), burstLimit: Number(t.burstLimit) };
  }

  async apply() {
    const t = this.settings();
    if (!t) return;
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const apis = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::RestApi');
    if (apis.length !== 1) {
      throw new this.serverless.classes.Error(`stage-throttling: expected one REST API, found ${apis.length}`);
    }
    const name = apis[0].Properties.Name;
    const client = new APIGatewayClient(await this.provider.getAwsSdkV3Config());
    const restApiId = await findRestApi(client, name);
    if (!restApiId) {
      throw new this.serverless.classes.Error(`stage-throttling: no REST API named ${name} after deploy`);
    }
    const stageName = this.provider.getApiGatewayStage();
    await client.send(
      new UpdateStageCommand({
        restApiId,
        stageName,
        patchOperations: [
          { op: 'replace', path: '/*/*/throttling/rateLimit', value: String(t.rateLimit) },
          { op: 'replace', path: '/*/*/throttling/burstLimit', value: String(t.burstLimit) },
        ],
      })
    );
    this.serverless.cli.log(
      `stage ${stageName} throttled: ${t.rateLimit} requests/s, burst ${t.burstLimit}`
    );
  }
}

async function findRestApi(client, name, position) {
  const page = await client.send(new GetRestApisCommand({ position, limit: 500 }));
  const api = (page.items || []).find((a) => a.name === name);
  if (api) return api.id;
  return page.position ? findRestApi(client, name, page.position) : null;
}

module.exports = StageThrottling;
