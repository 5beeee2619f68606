// Package templates holds no code: its tests read the CloudFormation that
// make package generates for the four stacks (deploy/resources, processor,
// query-api, scraper) and check what matters before anything reaches AWS:
// runtime and tracing, artifacts, cross-stack imports, least-privilege IAM,
// the stream's failure handling, the routes' authorization, every alarm's
// exact definition, the alarm topic's key policy, the dashboard's widgets
// and the saved Logs Insights queries.
package templates
