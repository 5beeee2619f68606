package cloud

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// accountBurst is the burst of API Gateway's account-level throttling in
// most regions ("Throttle requests to your REST APIs"): the burst a method
// gets when its stage sets a rate limit but no burst limit.
const accountBurst = 5000

// patchOp is one of API Gateway's UpdateStage patch operations.
type patchOp struct{ Op, Path, Value string }

// limits are stage throttling settings; a negative limit is unset.
type limits struct{ rate, burst float64 }

var unset = limits{-1, -1}

// stage is a REST API's stage. It outlives the deployments that point it
// at their snapshot of the API (a new AWS::ApiGateway::Deployment on each
// changed osls deploy) and keeps its settings, which UpdateStage changes:
// method settings for every method ("*/*") or for one.
type stage struct {
	mu           sync.Mutex
	api          *restAPI // the API as last deployed
	name         string
	deploymentID string
	created      time.Time
	all          limits
	methods      map[string]limits        // "/movies/{id} GET"
	throttles    map[string]*rate.Limiter // each deployed method's bucket
}

func newStage(a *restAPI, name string, created time.Time) *stage {
	return &stage{api: a, name: name, created: created, all: unset, methods: map[string]limits{}, throttles: map[string]*rate.Limiter{}}
}

func methodKey(path, method string) string { return path + " " + method }

// deploy points the stage at a deployment of a: each method gets its
// bucket, kept across deployments, and the stage's settings.
func (st *stage) deploy(a *restAPI, deploymentID string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.api, st.deploymentID = a, deploymentID
	for i := range a.built {
		rt := &a.built[i]
		k := methodKey(rt.path, rt.method)
		if st.throttles[k] == nil {
			st.throttles[k] = rate.NewLimiter(rate.Inf, 0)
		}
		rt.throttle = st.throttles[k]
	}
	st.apply()
}

// apply sets each method's bucket from its settings, else the stage's.
// A method with no rate limit is not throttled here (the account-level
// limit is not emulated: docs/local-cloud.md); a rate with no burst gets
// the account's burst.
func (st *stage) apply() {
	for k, l := range st.throttles {
		m, ok := st.methods[k]
		if !ok {
			m = unset
		}
		r, b := m.rate, m.burst
		if r < 0 {
			r = st.all.rate
		}
		if b < 0 {
			b = st.all.burst
		}
		if r < 0 {
			l.SetLimit(rate.Inf)
			continue
		}
		if b < 0 {
			b = accountBurst
		}
		l.SetBurst(int(b))
		l.SetLimit(rate.Limit(r))
	}
}

// patch applies UpdateStage's throttling operations, in order, as API
// Gateway does: "/{resource path}/{method}/throttling/rateLimit" and
// ".../burstLimit", the resource path's "/" escaped as "~1", "*/*" for the
// stage's default method settings. Every operation is checked before any is
// applied, so a refused update changes nothing.
func (st *stage) patch(ops []patchOp) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	all, methods := st.all, maps.Clone(st.methods)
	for _, op := range ops {
		key, burst, err := st.throttlingPath(op.Path)
		if err != nil {
			return err
		}
		if op.Op != "replace" {
			return fmt.Errorf("invalid patch operation %q for path %s: only replace is emulated", op.Op, op.Path)
		}
		v, err := strconv.ParseFloat(op.Value, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || (burst && v != math.Trunc(v)) {
			return fmt.Errorf("invalid value %q for %s", op.Value, op.Path)
		}
		l := &all
		if key != "" {
			m, ok := methods[key]
			if !ok {
				m = unset
			}
			l = &m
		}
		if burst {
			l.burst = v
		} else {
			l.rate = v
		}
		if key != "" {
			methods[key] = *l
		}
	}
	st.all, st.methods = all, methods
	st.apply()
	return nil
}

// throttlingPath reads a throttling patch path: the method's key ("" for
// every method) and whether it sets the burst.
func (st *stage) throttlingPath(path string) (key string, burst bool, err error) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 4 || parts[2] != "throttling" || (parts[3] != "rateLimit" && parts[3] != "burstLimit") {
		return "", false, fmt.Errorf("patch path %s: only /{resource}/{method}/throttling/rateLimit and burstLimit are emulated", path)
	}
	burst = parts[3] == "burstLimit"
	if parts[0] == "*" && parts[1] == "*" {
		return "", burst, nil
	}
	key = methodKey(strings.ReplaceAll(parts[0], "~1", "/"), parts[1])
	if st.throttles[key] == nil {
		return "", false, fmt.Errorf("patch path %s: no method %s of REST API %s", path, key, st.api.name)
	}
	return key, burst, nil
}

// packaged is what osls package wrote beside a template that the deploy
// uses: the parameter values it passes with the template
// (provider.stackParameters), and the stage updates made after the stack is
// deployed by this repository's stage-throttling plugin
// (deploy/plugins/stage-throttling: custom.stageThrottling, an UpdateStage
// with these two operations). make up does not run osls deploy, so it
// applies them itself; the deploy path runs the plugin.
type packaged struct {
	service    string // the stack is <service>-<stage>, as osls names it
	params     map[string]string
	stageAfter []patchOp
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
	if t := state.Service.Custom.StageThrottling; t != nil && contains(state.Service.Plugins, "moviepipe-stage-throttling") {
		p.stageAfter = []patchOp{
			{"replace", "/*/*/throttling/rateLimit", t.RateLimit.String()},
			{"replace", "/*/*/throttling/burstLimit", t.BurstLimit.String()},
		}
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
