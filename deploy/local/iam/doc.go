// Package iam decides, as AWS IAM does, whether a function's role may make
// an AWS call, and answers a denied call as the service would. It is the
// pure part of the local cloud's front door: no network, no state.
//
// What it evaluates: a role's identity-based policies (ParsePolicy reads
// them as the CloudFormation template holds them), with IAM's order — an
// explicit Deny wins, then an Allow, else an implicit deny — over Action,
// NotAction, Resource and NotResource, with the wildcards * and ? (Evaluate).
//
// What it refuses, loudly, rather than evaluate differently from IAM:
// Condition, Principal and NotPrincipal, policy variables in a 2012-10-17
// document, and anything IAM itself rejects (see ParsePolicy). Permissions
// boundaries, SCPs, session policies and resource-based policies do not
// exist in the local cloud and are not evaluated.
//
// Which call a request is: Identify reads an SDK request to DynamoDB (JSON
// 1.0), Kinesis (JSON 1.1), SQS (JSON 1.0 and the query protocol) or Lambda
// Invoke (REST) and names the permissions IAM checks for it — the action and
// each resource ARN, as AWS's "Actions, resources, and condition keys" pages
// define them. An operation it does not know is ErrNotEmulated.
//
// How a denial reads: Denied writes the service's AccessDenied answer in the
// call's protocol, so that the SDK in the function reports the error code
// and message real AWS gives.
package iam
