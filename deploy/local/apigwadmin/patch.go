package apigwadmin

import (
	"math"
	"strconv"
	"strings"
)

// PatchOperation is one of UpdateStage's patch operations (the API Gateway
// API Reference's PatchOperation).
type PatchOperation struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value,omitempty"`
	From  string `json:"from,omitempty"`
}

// validPaths is API Gateway's list of a stage's patch paths, as it prints
// it in its refusal of any other: this text, with its odd joins, is AWS's
// (LocalStack's AWS-recorded snapshots, test_apigateway_common.py
// TestStages::test_create_update_stages, "error-update-tags").
const validPaths = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, " +
	"/accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, " +
	"/{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, " +
	"/{resourcePath}/{httpMethod}/logging/loglevel, " +
	"/{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/" +
	"{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, " +
	"/{resourcePath}/{httpMethod}/caching/dataEncrypted, " +
	"/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, " +
	"/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, " +
	"/*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit " +
	"/*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, " +
	"/*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, " +
	"/variables/{variable_name}, /tracingEnabled]"

// stagePaths are the stage's own patch paths in validPaths; every one but
// /tracingEnabled is valid on AWS and not emulated here.
var stagePaths = map[string]bool{
	"/deploymentId": true, "/description": true, "/cacheClusterEnabled": true, "/cacheClusterSize": true,
	"/clientCertificateId": true, "/accessLogSettings": true, "/accessLogSettings/destinationArn": true,
	"/accessLogSettings/format": true, "/tracingEnabled": true,
}

// methodSettings are the method settings a patch path may end in; those
// mapped to true are emulated.
var methodSettings = map[string]bool{
	"metrics/enabled": true, "throttling/rateLimit": true, "throttling/burstLimit": true,
	"logging/dataTrace": false, "logging/loglevel": false, "caching/ttlInSeconds": false, "caching/enabled": false,
	"caching/dataEncrypted": false, "caching/requireAuthorizationForCacheControl": false,
	"caching/unauthorizedCacheControlHeaderStrategy": false,
}

// ApplyPatch applies UpdateStage's operations to s, in order, as API
// Gateway does; s may be partly changed when it fails, so apply it to a
// Clone. The error's text is the one UpdateStage answers.
func ApplyPatch(s *Stage, ops []PatchOperation) error {
	if e := applyPatch(s, ops); e != nil {
		return e
	}
	return nil
}

// applyPatch applies ops to s in order, as UpdateStage does. On an error s
// may be part changed: the caller works on a copy.
func applyPatch(s *Stage, ops []PatchOperation) *apiError {
	for _, op := range ops {
		if err := applyOne(s, op); err != nil {
			return err
		}
	}
	return nil
}

func applyOne(s *Stage, op PatchOperation) *apiError {
	if op.Path == "/tracingEnabled" {
		if err := replaceOnly(op); err != nil {
			return err
		}
		s.TracingEnabled = parseBool(op.Value)
		return nil
	}
	if stagePaths[op.Path] || strings.HasPrefix(op.Path, "/variables/") || op.Path == "/*/*" {
		return notEmulated("UpdateStage's path " + op.Path)
	}
	key, setting, ok := methodPath(op.Path)
	if !ok {
		return badRequest("Invalid method setting path: %s. Must be one of: %s", op.Path, validPaths)
	}
	if !methodSettings[setting] {
		return notEmulated("UpdateStage's method setting " + setting + " (" + op.Path + ")")
	}
	if key != AllMethods && (strings.HasPrefix(key, "*/") || strings.HasSuffix(key, "/*")) {
		return notEmulated("a method setting for " + key + " (only */* or one method: " + op.Path + ")")
	}
	if err := replaceOnly(op); err != nil {
		return err
	}
	return setMethod(s, key, setting, op)
}

// methodPath splits "/{resourcePath}/{httpMethod}/{group}/{name}" into the
// method-settings key and "{group}/{name}". The resource path's slashes
// come escaped as "~1" (JSON Pointer, RFC 6901) or, as Terraform sends
// them, unescaped; either way the key is the path without its leading slash
// (AWS's answer to "/test/GET/throttling/burstLimit" is the key "test/GET":
// the AWS-recorded snapshot of test_create_update_stages).
func methodPath(path string) (key, setting string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	n := len(parts)
	if n < 4 || !strings.HasPrefix(path, "/") {
		return "", "", false
	}
	setting = parts[n-2] + "/" + parts[n-1]
	if _, known := methodSettings[setting]; !known || parts[n-3] == "" {
		return "", "", false
	}
	resource := strings.Join(parts[:n-3], "/")
	resource = strings.NewReplacer("~1", "/", "~0", "~").Replace(resource)
	if resource == "*" {
		return "*/" + parts[n-3], setting, true
	}
	return MethodKey(resource, parts[n-3]), setting, true
}

// setMethod sets one method setting. A method's entry that does not exist
// yet starts as a copy of the "*/*" one, or else from AWS's defaults: a
// per-method entry made after "*/*" caching was enabled has caching enabled
// too (the AWS-recorded answer of test_create_update_stages, "test/GET").
func setMethod(s *Stage, key, setting string, op PatchOperation) *apiError {
	m, ok := s.MethodSettings[key]
	if !ok {
		m, ok = s.MethodSettings[AllMethods]
		if !ok || key == AllMethods {
			m = MethodSetting{ThrottlingRateLimit: DefaultRateLimit, ThrottlingBurstLimit: DefaultBurstLimit}
		}
	}
	switch setting {
	case "metrics/enabled":
		m.MetricsEnabled = parseBool(op.Value)
	case "throttling/rateLimit":
		v, err := strconv.ParseFloat(op.Value, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return badRequest("Invalid rate limit %q for %s: a number of requests a second, 0 or more", op.Value, op.Path)
		}
		m.ThrottlingRateLimit = v
	case "throttling/burstLimit":
		v, err := strconv.ParseInt(op.Value, 10, 32)
		if err != nil || v < 0 {
			return badRequest("Invalid burst limit %q for %s: a whole number of requests, 0 or more", op.Value, op.Path)
		}
		m.ThrottlingBurstLimit = int(v)
	}
	if s.MethodSettings == nil {
		s.MethodSettings = map[string]MethodSetting{}
	}
	s.MethodSettings[key] = m
	return nil
}

// replaceOnly refuses an operation other than replace, in the words API
// Gateway uses for a path that takes replace only (LocalStack's
// AWS-recorded snapshots: "Invalid patch operation specified. Must be one
// of: [replace]"); a replace needs a value.
func replaceOnly(op PatchOperation) *apiError {
	if op.Op != "replace" {
		return badRequest("Invalid patch operation specified. Must be one of: [replace]")
	}
	if op.Value == "" {
		return badRequest("Invalid patch operation: replace at %s needs a value", op.Path)
	}
	return nil
}

// parseBool reads a boolean as API Gateway reads a stage's booleans: "true"
// in any case is true, anything else false (moto's and LocalStack's stage
// models do the same).
func parseBool(v string) bool { return strings.EqualFold(v, "true") }
