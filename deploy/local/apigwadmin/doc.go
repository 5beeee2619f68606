// Package apigwadmin is the local cloud's API Gateway management API (the
// control plane at apigateway.{region}.amazonaws.com, AWS_ENDPOINT_URL_API_GATEWAY)
// for what osls and this repository's stage-throttling plugin do after a
// deploy:
//
//   - GetRestApis (position, limit): osls's update-stage.js and the plugin
//     find the REST API by name;
//   - GetDeployments, GetStage, CreateStage: update-stage.js finds the stage
//     and makes it if the stack did not;
//   - UpdateStage: /tracingEnabled (provider.tracing.apiGateway),
//     /*/*/metrics/enabled (provider.apiGateway.metrics), and throttling,
//     /*/*/throttling/rateLimit and burstLimit for every method or
//     /{resource path, "/" as "~1"}/{METHOD}/throttling/… for one (the
//     plugin);
//   - TagResource, UntagResource on a stage (provider.stackTags).
//
// It speaks the REST-JSON protocol of the AWS SDKs and answers with AWS's
// shapes and words: errors as {"message": …} with x-amzn-ErrorType
// (NotFoundException, BadRequestException, ConflictException). The texts are
// AWS's where a recorded answer gives them (cited where used, mostly
// LocalStack's snapshots recorded against AWS); where none does, the text is
// ours and says what is wrong.
//
// The REST APIs, deployments and stages are the local cloud's, behind the
// Stages interface: this package owns no data, and the cloud puts a stage's
// change into effect. Not emulated, and refused by name: every other
// operation (UnknownOperationException naming it), and the stage settings
// the local gateway does not apply (caching, execution and access logging,
// stage variables, canaries, client certificates, a change of deployment),
// refused with BadRequestException "The local cloud does not emulate …".
package apigwadmin
