'use strict';

// osls has no setting for a REST API's stage throttling. This plugin applies
// custom.stageThrottling ({ rateLimit, burstLimit }) to the stage through the
// API Deployment's StageDescription. The local cloud reads the same settings.
class StageThrottling {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileEvents': () => this.apply() };
  }

  apply() {
    const custom = this.serverless.service.custom || {};
    const t = custom.stageThrottling;
    if (!t) return;
    if (!(t.rateLimit > 0) || !(t.burstLimit > 0)) {
      throw new this.serverless.classes.Error('custom.stageThrottling needs a positive rateLimit and burstLimit');
    }
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    const ids = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::ApiGateway::Deployment');
    if (ids.length !== 1) {
      throw new this.serverless.classes.Error(`stage-throttling: expected one API Gateway deployment, found ${ids.length}`);
    }
    const props = resources[ids[0]].Properties;
    props.StageDescription = Object.assign({}, props.StageDescription, {
      ThrottlingRateLimit: t.rateLimit,
      ThrottlingBurstLimit: t.burstLimit,
    });
  }
}

module.exports = StageThrottling;
