package apigwadmin

import (
	"sort"
	"strconv"
	"time"
)

// The JSON shapes of API Gateway's answers (API Reference: RestApi,
// Deployment, Stage, MethodSetting). Dates are epoch seconds; a list is
// {"item": […], "position": …}.

type restAPIJSON struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	CreatedDate    int64  `json:"createdDate"`
	RootResourceID string `json:"rootResourceId,omitempty"`
}

type deploymentJSON struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	CreatedDate int64  `json:"createdDate"`
}

// stageJSON is a Stage with the fields AWS always sends (LocalStack's
// AWS-recorded snapshots of CreateStage and GetStage): no cache cluster,
// its status NOT_AVAILABLE, methodSettings even when empty.
type stageJSON struct {
	DeploymentID        string                       `json:"deploymentId"`
	StageName           string                       `json:"stageName"`
	Description         string                       `json:"description,omitempty"`
	CacheClusterEnabled bool                         `json:"cacheClusterEnabled"`
	CacheClusterStatus  string                       `json:"cacheClusterStatus"`
	MethodSettings      map[string]methodSettingJSON `json:"methodSettings"`
	TracingEnabled      bool                         `json:"tracingEnabled"`
	Tags                map[string]string            `json:"tags,omitempty"`
	CreatedDate         int64                        `json:"createdDate"`
	LastUpdatedDate     int64                        `json:"lastUpdatedDate"`
}

// methodSettingJSON is a MethodSetting with the settings the local cloud
// does not emulate at the values AWS gives a new one (the AWS-recorded
// snapshot of test_update_stage_remove_wildcard): no caching, a 300 s TTL,
// authorization required for cache control, no data trace; loggingLevel
// absent.
type methodSettingJSON struct {
	MetricsEnabled                         bool    `json:"metricsEnabled"`
	DataTraceEnabled                       bool    `json:"dataTraceEnabled"`
	ThrottlingBurstLimit                   int     `json:"throttlingBurstLimit"`
	ThrottlingRateLimit                    float64 `json:"throttlingRateLimit"`
	CachingEnabled                         bool    `json:"cachingEnabled"`
	CacheTTLInSeconds                      int     `json:"cacheTtlInSeconds"`
	CacheDataEncrypted                     bool    `json:"cacheDataEncrypted"`
	RequireAuthorizationForCacheControl    bool    `json:"requireAuthorizationForCacheControl"`
	UnauthorizedCacheControlHeaderStrategy string  `json:"unauthorizedCacheControlHeaderStrategy"`
}

func epoch(t time.Time) int64 { return t.Unix() }

func stageOut(s Stage) stageJSON {
	out := stageJSON{DeploymentID: s.DeploymentID, StageName: s.Name, Description: s.Description,
		CacheClusterStatus: "NOT_AVAILABLE", MethodSettings: map[string]methodSettingJSON{},
		TracingEnabled: s.TracingEnabled, Tags: s.Tags, CreatedDate: epoch(s.Created), LastUpdatedDate: epoch(s.LastUpdated)}
	for k, m := range s.MethodSettings {
		out.MethodSettings[k] = methodSettingJSON{MetricsEnabled: m.MetricsEnabled,
			ThrottlingBurstLimit: m.ThrottlingBurstLimit, ThrottlingRateLimit: m.ThrottlingRateLimit,
			CacheTTLInSeconds: 300, RequireAuthorizationForCacheControl: true,
			UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER"}
	}
	return out
}

// page is one page of a list: {"item": […], "position": …}.
type page[T any] struct {
	Items    []T    `json:"item"`
	Position string `json:"position,omitempty"`
}

// paginate cuts items, sorted by key, into the page after position (the
// key of the last item of the page before, as the position this returns),
// of limit items: the query parameters of GetRestApis and GetDeployments.
// Their default limit is 25 and their most 500 (API Reference).
func paginate[T any](items []T, key func(T) string, position, limitText string) (page[T], *apiError) {
	limit := 25
	if limitText != "" {
		n, err := strconv.Atoi(limitText)
		if err != nil || n < 1 || n > 500 {
			return page[T]{}, badRequest("Invalid limit %q: from 1 to 500", limitText)
		}
		limit = n
	}
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := 0
	if position != "" {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > position })
	}
	end := min(start+limit, len(items))
	p := page[T]{Items: items[start:end]}
	if end < len(items) {
		p.Position = key(items[end-1])
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p, nil
}
