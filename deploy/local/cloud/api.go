package cloud

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/awslabs/goformation/v7/cloudformation/apigateway"
	"golang.org/x/time/rate"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// restAPI is an AWS::ApiGateway::RestApi and what belongs to it.
type restAPI struct {
	id, name   string
	root       string                    // RootResourceId
	resources  map[string]*cfn.Resource  // AWS::ApiGateway::Resource by id
	methods    []*cfn.Resource           // AWS::ApiGateway::Method
	validators map[string]map[string]any // AWS::ApiGateway::RequestValidator properties by id
	stage      *apigateway.Deployment    // the deployment of the stage
	deployRes  *cfn.Resource             // that AWS::ApiGateway::Deployment
	built      []route
	// binaryMediaTypes are the media types it treats as binary, both ways.
	binaryMediaTypes []string
}

// route is a method of a REST API as the local gateway serves it.
type route struct {
	api, method, path string
	iam               bool
	fn                *function
	// required are the request parameters a validator checks
	// ("querystring.year", "header.x-id"); path parameters always exist.
	required []string
	throttle *rate.Limiter // the stage's bucket for the method
	tracing  *atomic.Bool  // the stage's X-Ray tracing
}

// api records a REST API piece; routes are built once the stack is resolved.
func (d *declared) api(r *cfn.Resource) error {
	if r.Type == "AWS::ApiGateway::RestApi" {
		return d.restAPI(r)
	}
	id, _ := r.Properties["RestApiId"].(string)
	var a *restAPI
	for _, x := range d.apis {
		if x.id == id {
			a = x
		}
	}
	if a == nil {
		return fmt.Errorf("property RestApiId %s: no REST API of these stacks", id)
	}
	switch r.Type {
	case "AWS::ApiGateway::Resource":
		_, err := r.Check([]string{"RestApiId", "ParentId", "PathPart"}, nil)
		a.resources[r.Ref] = r
		return err
	case "AWS::ApiGateway::Method":
		_, err := r.Check([]string{"RestApiId", "ResourceId", "HttpMethod", "AuthorizationType", "ApiKeyRequired", "Integration",
			"RequestParameters", "RequestValidatorId", "MethodResponses"}, nil)
		a.methods = append(a.methods, r)
		return err
	case "AWS::ApiGateway::RequestValidator":
		_, err := r.Check([]string{"RestApiId", "Name", "ValidateRequestParameters", "ValidateRequestBody"}, nil)
		a.validators[r.Ref] = r.Properties
		return err
	}
	return a.deployment(r)
}

func (d *declared) restAPI(r *cfn.Resource) error {
	notes, err := r.Check([]string{"Name", "Policy", "BinaryMediaTypes"}, []string{"EndpointConfiguration", "Description", "Tags", "MinimumCompressionSize"})
	d.notes = append(d.notes, notes...)
	if err != nil {
		return err
	}
	if p, ok := r.Properties["Policy"]; ok && p != "" && fmt.Sprint(p) != "map[]" {
		return fmt.Errorf("property Policy: resource policies of REST APIs are not emulated")
	}
	typed := *r
	typed.Properties = map[string]any{"Name": r.Properties["Name"], "BinaryMediaTypes": r.Properties["BinaryMediaTypes"]}
	api, err := cfn.As[apigateway.RestApi](&typed)
	if err != nil {
		return err
	}
	d.apis = append(d.apis, &restAPI{id: r.Ref, name: deref2(api.Name), root: r.Attrs["RootResourceId"],
		resources: map[string]*cfn.Resource{}, validators: map[string]map[string]any{}, binaryMediaTypes: api.BinaryMediaTypes})
	return nil
}

func (a *restAPI) deployment(r *cfn.Resource) error {
	if _, err := r.Check([]string{"RestApiId", "StageName", "StageDescription"}, []string{"Description"}); err != nil {
		return err
	}
	dep, err := cfn.As[apigateway.Deployment](r)
	if err != nil {
		return err
	}
	if sd := dep.StageDescription; sd != nil {
		if sd.MethodSettings != nil || sd.CacheClusterEnabled != nil || sd.CanarySetting != nil || sd.Variables != nil || sd.AccessLogSetting != nil {
			return fmt.Errorf("property StageDescription: only ThrottlingRateLimit, ThrottlingBurstLimit, TracingEnabled, MetricsEnabled, LoggingLevel and DataTraceEnabled are emulated or accepted")
		}
	}
	a.stage, a.deployRes = &dep, r
	return nil
}

// routes builds the API's routes: each method's path from its resources,
// its function from its Lambda proxy integration.
func (a *restAPI) routes(d *declared, stage string) error {
	if a.stage == nil || a.stage.StageName == nil || *a.stage.StageName != stage {
		return fmt.Errorf("REST API %s: no AWS::ApiGateway::Deployment of stage %s", a.name, stage)
	}
	for _, m := range a.methods {
		rt, err := a.route(d, m)
		if err != nil {
			return fmt.Errorf("%s: %w", m.ID, err)
		}
		a.built = append(a.built, rt)
	}
	sort.Slice(a.built, func(i, j int) bool { return a.built[i].path+a.built[i].method < a.built[j].path+a.built[j].method })
	return nil
}

func (a *restAPI) route(d *declared, r *cfn.Resource) (route, error) {
	// goformation types RequestParameters as strings; CloudFormation's are
	// booleans (required or not): read them from the resolved properties.
	typed := *r
	typed.Properties = map[string]any{}
	for k, v := range r.Properties {
		if k != "RequestParameters" {
			typed.Properties[k] = v
		}
	}
	m, err := cfn.As[apigateway.Method](&typed)
	if err != nil {
		return route{}, err
	}
	params, _ := r.Properties["RequestParameters"].(map[string]any)
	rt := route{api: a.name, method: m.HttpMethod}
	if rt.path, err = a.path(m.ResourceId); err != nil {
		return rt, err
	}
	switch auth := deref2(m.AuthorizationType); auth {
	case "", "NONE":
	case "AWS_IAM":
		rt.iam = true
	default:
		return rt, fmt.Errorf("property AuthorizationType %s: NONE and AWS_IAM are emulated", auth)
	}
	if m.ApiKeyRequired != nil && *m.ApiKeyRequired {
		return rt, fmt.Errorf("property ApiKeyRequired: API keys are not emulated")
	}
	in := m.Integration
	if in == nil || in.Type != "AWS_PROXY" || deref2(in.IntegrationHttpMethod) != "POST" {
		return rt, fmt.Errorf("property Integration: only Lambda proxy integrations (AWS_PROXY, POST) are emulated")
	}
	uri := deref2(in.Uri)
	fnARN, ok := strings.CutSuffix(uri[strings.Index(uri, "/functions/")+len("/functions/"):], "/invocations")
	if rt.fn, _ = d.function(fnARN); !ok || rt.fn == nil || !strings.Contains(uri, ":lambda:path/2015-03-31/functions/") {
		return rt, fmt.Errorf("property Integration.Uri %s: not a function of these stacks", uri)
	}
	if v := a.validators[deref2(m.RequestValidatorId)]; v != nil && v["ValidateRequestParameters"] == true {
		for p, req := range params {
			if name, ok := strings.CutPrefix(p, "method.request."); ok && req == true && !strings.HasPrefix(name, "path.") {
				rt.required = append(rt.required, name)
			}
		}
		sort.Strings(rt.required)
	}
	return rt, nil
}

// path is the resource's path: its parts up to the API's root.
func (a *restAPI) path(id string) (string, error) {
	var parts []string
	for id != a.root {
		r, ok := a.resources[id]
		if !ok || len(parts) > 64 {
			return "", fmt.Errorf("property ResourceId %s: not a resource of REST API %s", id, a.name)
		}
		part, _ := r.Properties["PathPart"].(string)
		parts = append([]string{part}, parts...)
		id, _ = r.Properties["ParentId"].(string)
	}
	return "/" + strings.Join(parts, "/"), nil
}
