package cloud

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
)

// stage is a REST API's stage. It outlives the deployments that point it
// at their snapshot of the API (a new AWS::ApiGateway::Deployment on each
// changed osls deploy) and keeps its settings, which UpdateStage changes
// (apigwadmin, and make up's after-deploy step): X-Ray tracing, and method
// settings for every method ("*/*") or for one.
type stage struct {
	mu         sync.Mutex
	api        *restAPI // the API as last deployed
	model      apigwadmin.Stage
	deployment apigwadmin.Deployment       // the one the stage points at
	throttles  map[[2]string]*rate.Limiter // each deployed method's bucket, by path and method
	tracing    atomic.Bool
}

// newStage is the stage a's Deployment creates: its StageDescription's
// settings, as CloudFormation sets them on the new stage (throttling as
// the "*/*" method settings, each missing limit at the account's value).
func newStage(a *restAPI, name string, created time.Time) *stage {
	m := apigwadmin.Stage{Name: name, Created: created, LastUpdated: created, MethodSettings: map[string]apigwadmin.MethodSetting{}}
	if sd := a.stage.StageDescription; sd != nil {
		m.TracingEnabled = sd.TracingEnabled != nil && *sd.TracingEnabled
		m.Description = deref2(sd.Description)
		if sd.ThrottlingRateLimit != nil || sd.ThrottlingBurstLimit != nil || sd.MetricsEnabled != nil {
			all := apigwadmin.MethodSetting{ThrottlingRateLimit: apigwadmin.DefaultRateLimit, ThrottlingBurstLimit: apigwadmin.DefaultBurstLimit}
			if sd.ThrottlingRateLimit != nil {
				all.ThrottlingRateLimit = *sd.ThrottlingRateLimit
			}
			if sd.ThrottlingBurstLimit != nil {
				all.ThrottlingBurstLimit = *sd.ThrottlingBurstLimit
			}
			all.MetricsEnabled = sd.MetricsEnabled != nil && *sd.MetricsEnabled
			m.MethodSettings[apigwadmin.AllMethods] = all
		}
	}
	return &stage{api: a, model: m, throttles: map[[2]string]*rate.Limiter{}}
}

// deploy points the stage at a deployment of a: each method gets its
// bucket, kept across deployments, and the stage's settings.
func (st *stage) deploy(a *restAPI, deploymentID string, at time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.api, st.model.DeploymentID = a, deploymentID
	if st.deployment.ID != deploymentID {
		st.deployment = apigwadmin.Deployment{ID: deploymentID, Created: at}
	}
	for i := range a.built {
		rt := &a.built[i]
		k := [2]string{rt.path, rt.method}
		if st.throttles[k] == nil {
			st.throttles[k] = rate.NewLimiter(rate.Inf, 0)
		}
		rt.throttle, rt.tracing = st.throttles[k], &st.tracing
	}
	st.apply()
}

// apply puts the settings into effect: each method's bucket from its own
// settings, else the stage's "*/*" ones. A method with neither is not
// throttled here (the account-level limit is not emulated:
// docs/local-cloud.md).
func (st *stage) apply() {
	st.tracing.Store(st.model.TracingEnabled)
	for k, l := range st.throttles {
		m, ok := st.model.Setting(k[0], k[1])
		if !ok {
			l.SetLimit(rate.Inf)
			continue
		}
		l.SetBurst(m.ThrottlingBurstLimit)
		l.SetLimit(rate.Limit(m.ThrottlingRateLimit))
	}
}

// settings returns a copy of the stage's settings.
func (st *stage) settings() apigwadmin.Stage {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.model.Clone()
}

// update changes the stage's settings in one step: change gets a copy, and
// if it returns nil the copy is kept and put into effect.
func (st *stage) update(change func(*apigwadmin.Stage) error) (apigwadmin.Stage, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	next := st.model.Clone()
	if err := change(&next); err != nil {
		return apigwadmin.Stage{}, err
	}
	st.model = next
	st.apply()
	return next.Clone(), nil
}

// patch applies UpdateStage's operations, all or none, as the management
// API does.
func (st *stage) patch(ops []apigwadmin.PatchOperation, at time.Time) error {
	_, err := st.update(func(s *apigwadmin.Stage) error {
		if err := apigwadmin.ApplyPatch(s, ops); err != nil {
			return err
		}
		s.LastUpdated = at
		return nil
	})
	return err
}

// packaged is what osls package wrote beside a template that the deploy
// uses: the parameter values it passes with the template
// (provider.stackParameters), and the stage updates made after the stack is
// deployed: osls's own (update-stage.js: /tracingEnabled from
// provider.tracing.apiGateway, /*/*/metrics/enabled from
// provider.apiGateway.metrics) and this repository's stage-throttling
// plugin's (deploy/plugins/stage-throttling: custom.stageThrottling). make
// up does not run osls deploy, so it applies them itself; make deploy runs
// osls, which calls the management API (apigwadmin).
type packaged struct {
	service    string // the stack is <service>-<stage>, as osls names it
	params     map[string]string
	stageAfter []apigwadmin.PatchOperation
}

func readPackaged(path string) (packaged, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return packaged{}, err
	}
	var state struct {
		Service struct {
			Service  string
			Provider struct {
				StackParameters []struct{ ParameterKey, ParameterValue string }
				Tracing         struct {
					APIGateway *bool `json:"apiGateway"`
				}
				APIGateway struct{ Metrics *bool }
			}
			Plugins []string
			Custom  struct {
				StageThrottling *struct{ RateLimit, BurstLimit json.Number }
			}
		}
	}
	if err := json.Unmarshal(data, &state); err != nil {
		return packaged{}, fmt.Errorf("%s: %w", path, err)
	}
	p := packaged{service: state.Service.Service, params: map[string]string{}}
	for _, kv := range state.Service.Provider.StackParameters {
		p.params[kv.ParameterKey] = kv.ParameterValue
	}
	pr := state.Service.Provider
	if v := pr.Tracing.APIGateway; v != nil {
		p.stageAfter = append(p.stageAfter, apigwadmin.PatchOperation{Op: "replace", Path: "/tracingEnabled", Value: strconv.FormatBool(*v)})
	}
	if v := pr.APIGateway.Metrics; v != nil {
		p.stageAfter = append(p.stageAfter, apigwadmin.PatchOperation{Op: "replace", Path: "/*/*/metrics/enabled", Value: strconv.FormatBool(*v)})
	}
	if t := state.Service.Custom.StageThrottling; t != nil && slices.Contains(state.Service.Plugins, "moviepipe-stage-throttling") {
		p.stageAfter = append(p.stageAfter,
			apigwadmin.PatchOperation{Op: "replace", Path: "/*/*/throttling/rateLimit", Value: t.RateLimit.String()},
			apigwadmin.PatchOperation{Op: "replace", Path: "/*/*/throttling/burstLimit", Value: t.BurstLimit.String()})
	}
	return p, nil
}
