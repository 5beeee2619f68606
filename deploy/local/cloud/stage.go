package cloud

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/time/rate"
)

// accountBurst is the burst of API Gateway's account-level throttling in
// most regions ("Throttle requests to your REST APIs"): the burst a method
// gets when its stage sets a rate limit but no burst limit.
const accountBurst = 5000

// patchOp is one of API Gateway's UpdateStage patch operations.
type patchOp struct{ Op, Path, Value string }

// methodThrottle is a method's stage throttling: a token bucket that a
// deploy or UpdateStage may change while the gateway serves. Unset limits
// are negative; a method with no rate limit is not throttled here (the
// account-level limit is not emulated: docs/local-cloud.md).
type methodThrottle struct {
	rate  float64
	burst int
	*rate.Limiter
}

func newThrottle(rateLimit float64, burst int) *methodThrottle {
	t := &methodThrottle{rate: -1, burst: -1, Limiter: rate.NewLimiter(rate.Inf, 0)}
	if rateLimit > 0 {
		t.rate = rateLimit
	}
	if burst > 0 {
		t.burst = burst
	}
	t.apply()
	return t
}

func (t *methodThrottle) apply() {
	if t.rate < 0 {
		t.SetLimit(rate.Inf)
		return
	}
	b := t.burst
	if b < 0 {
		b = accountBurst
	}
	t.SetBurst(b)
	t.SetLimit(rate.Limit(t.rate))
}

// patchStage applies UpdateStage patch operations to the stage's methods,
// in order, as API Gateway does: "/{resource path}/{method}/throttling/
// rateLimit" and ".../burstLimit", where the resource path has "/" escaped
// as "~1" and either part may be "*" for every method. Every operation is
// checked before any is applied, so a refused update changes nothing.
func (a *restAPI) patchStage(ops []patchOp) error {
	type change struct {
		targets []*methodThrottle
		burst   bool
		value   float64
	}
	var changes []change
	for _, op := range ops {
		targets, burst, err := a.throttlesAt(op.Path)
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
		changes = append(changes, change{targets, burst, v})
	}
	for _, c := range changes {
		for _, t := range c.targets {
			if c.burst {
				t.burst = int(c.value)
			} else {
				t.rate = c.value
			}
			t.apply()
		}
	}
	return nil
}

// throttlesAt finds the methods a throttling patch path names.
func (a *restAPI) throttlesAt(path string) (targets []*methodThrottle, burst bool, err error) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 4 || parts[2] != "throttling" || (parts[3] != "rateLimit" && parts[3] != "burstLimit") {
		return nil, false, fmt.Errorf("patch path %s: only /{resource}/{method}/throttling/rateLimit and burstLimit are emulated", path)
	}
	res := strings.ReplaceAll(parts[0], "~1", "/")
	for i := range a.built {
		rt := &a.built[i]
		if (res == "*" || res == rt.path) && (parts[1] == "*" || parts[1] == rt.method) {
			targets = append(targets, rt.throttle)
		}
	}
	if len(targets) == 0 {
		return nil, false, fmt.Errorf("patch path %s: no method of REST API %s", path, a.name)
	}
	return targets, parts[3] == "burstLimit", nil
}

// packaged is what osls package wrote beside a template that the deploy
// uses: the parameter values it passes with the template
// (provider.stackParameters), and the stage updates made after the stack is
// deployed by this repository's stage-throttling plugin
// (deploy/plugins/stage-throttling: custom.stageThrottling, an UpdateStage
// with these two operations). make up does not run osls deploy, so it
// applies them itself; the deploy path runs the plugin.
type packaged struct {
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
	p := packaged{params: map[string]string{}}
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
