package apigwadmin

import (
	"errors"
	"maps"
	"strings"
	"time"
)

// Errors a Stages returns, each answered as API Gateway answers it.
var (
	// ErrNotFound: no such REST API or stage (NotFoundException).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stage of that name exists already (ConflictException).
	ErrConflict = errors.New("already exists")
)

// Stages is the local cloud's REST APIs as the management API reads and
// changes them. The cloud keeps them and puts a change into effect (a
// stage's throttling on its methods); the Service only answers from them.
// Implementations must be safe for concurrent use; stagestest is the
// conformance suite they pass.
type Stages interface {
	// RestAPIs returns every REST API.
	RestAPIs() []RestAPI
	// Deployments returns the deployments of the REST API apiID, or
	// ErrNotFound.
	Deployments(apiID string) ([]Deployment, error)
	// Stage returns the stage name of the REST API apiID, or ErrNotFound.
	Stage(apiID, name string) (Stage, error)
	// CreateStage adds s to the REST API apiID: ErrNotFound if there is no
	// such API, ErrConflict if it has a stage named s.Name. The Service has
	// checked that s.DeploymentID is one of the API's deployments.
	CreateStage(apiID string, s Stage) error
	// UpdateStage changes the stage name of the REST API apiID in one step:
	// it passes change a copy of the stage, and if change returns nil it
	// keeps the copy, puts it into effect and returns it. It returns
	// ErrNotFound for a missing API or stage, and change's error with the
	// stage unchanged.
	UpdateStage(apiID, name string, change func(*Stage) error) (Stage, error)
}

// RestAPI is a REST API as GetRestApis lists it.
type RestAPI struct {
	ID, Name, Description string
	RootResourceID        string
	Created               time.Time
}

// Deployment is a deployment of a REST API as GetDeployments lists it.
type Deployment struct {
	ID, Description string
	Created         time.Time
}

// Stage is a REST API's stage as GetStage answers it (the API Gateway API
// Reference's Stage), for the settings the local cloud emulates.
type Stage struct {
	Name, DeploymentID, Description string
	// TracingEnabled is X-Ray tracing of the stage's requests.
	TracingEnabled bool
	// MethodSettings are keyed "*/*" for every method of the stage, or
	// "{resource path without its leading slash}/{HTTP method}" for one
	// method ("movies/{id}/GET").
	MethodSettings map[string]MethodSetting
	Tags           map[string]string
	Created        time.Time
	LastUpdated    time.Time
}

// MethodSetting is a method's (or, keyed "*/*", every method's) settings.
// A rate or burst limit applies as API Gateway applies a stage's: a token
// bucket of ThrottlingBurstLimit tokens refilled at ThrottlingRateLimit a
// second, per method.
type MethodSetting struct {
	MetricsEnabled       bool
	ThrottlingRateLimit  float64
	ThrottlingBurstLimit int
}

// The values a method setting starts from when an UpdateStage creates it
// without a "*/*" setting to copy: the account-level limits of us-east-1,
// as AWS fills them in (LocalStack's AWS-recorded snapshot of
// test_update_stage_remove_wildcard: throttlingRateLimit 10000.0,
// throttlingBurstLimit 5000, metricsEnabled false).
const (
	DefaultRateLimit  = 10000
	DefaultBurstLimit = 5000
)

// AllMethods is the method-settings key of every method of a stage.
const AllMethods = "*/*"

// MethodKey returns the method-settings key of a method: resourcePath as
// the REST API declares it ("/movies/{id}"), method in capitals.
func MethodKey(resourcePath, method string) string {
	return strings.TrimPrefix(resourcePath, "/") + "/" + method
}

// Setting returns the settings in force for one method: its own, or else
// the stage's "*/*" ones; false if there are neither (the stage sets no
// throttling of its own for the method).
func (s Stage) Setting(resourcePath, method string) (MethodSetting, bool) {
	if m, ok := s.MethodSettings[MethodKey(resourcePath, method)]; ok {
		return m, true
	}
	m, ok := s.MethodSettings[AllMethods]
	return m, ok
}

// Clone returns a copy of s whose maps may be changed: what a Stages
// passes to an UpdateStage change.
func (s Stage) Clone() Stage {
	s.MethodSettings = maps.Clone(s.MethodSettings)
	s.Tags = maps.Clone(s.Tags)
	return s
}
