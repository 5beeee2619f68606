package apigwadmin

import (
	"net/http"
	"strings"
)

// tagResource adds tags to a stage, the one resource the local cloud tags:
// PUT /tags/{resourceArn} {"tags": {…}}, answered 204 (osls's update-stage.js
// tags the stage with provider.stackTags and provider.tags).
func (s *Service) tagResource(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if e := checkTags(in.Tags); e != nil {
		writeError(w, e)
		return
	}
	s.retag(w, r.PathValue("resourceArn"), func(tags map[string]string) {
		for k, v := range in.Tags {
			tags[k] = v
		}
	})
}

// untagResource removes tags from a stage: DELETE
// /tags/{resourceArn}?tagKeys=…&tagKeys=…, answered 204.
func (s *Service) untagResource(w http.ResponseWriter, r *http.Request) {
	keys := r.URL.Query()["tagKeys"]
	s.retag(w, r.PathValue("resourceArn"), func(tags map[string]string) {
		for _, k := range keys {
			delete(tags, k)
		}
	})
}

func (s *Service) retag(w http.ResponseWriter, arn string, edit func(map[string]string)) {
	apiID, stage, e := s.stageARN(arn)
	if e != nil {
		writeError(w, e)
		return
	}
	_, e = s.change(apiID, stage, func(st *Stage) *apiError {
		if st.Tags == nil {
			st.Tags = map[string]string{}
		}
		edit(st.Tags)
		if len(st.Tags) > 50 {
			return badRequest("Tags must contain at most 50 entries")
		}
		return nil
	})
	if e != nil {
		writeError(w, e)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// stageARN reads a stage's ARN, arn:aws:apigateway:{region}::/restapis/
// {id}/stages/{name} (the API Gateway Developer Guide's "API Gateway Amazon
// Resource Name (ARN) reference"), in this service's region. A malformed
// ARN is refused in AWS's words ("Invalid ARN specified in the request":
// LocalStack's AWS-recorded snapshots); another resource's as not emulated.
func (s *Service) stageARN(arn string) (apiID, stage string, e *apiError) {
	invalid := badRequest("Invalid ARN specified in the request")
	rest, ok := strings.CutPrefix(arn, "arn:aws:apigateway:"+s.Region+"::/")
	if !ok {
		return "", "", invalid
	}
	parts := strings.Split(rest, "/")
	if len(parts) == 4 && parts[0] == "restapis" && parts[2] == "stages" && parts[1] != "" && parts[3] != "" {
		return parts[1], parts[3], nil
	}
	if len(parts) >= 2 && parts[1] != "" {
		return "", "", notEmulated("tags on " + arn + " (it tags stages only)")
	}
	return "", "", invalid
}

// checkTags applies the tag rules of the API Reference's TagResource: keys
// of 1 to 128 characters, not starting with "aws:"; values of up to 256.
func checkTags(tags map[string]string) *apiError {
	for k, v := range tags {
		switch {
		case k == "" || len(k) > 128:
			return badRequest("Invalid tag key %q: 1 to 128 characters", k)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return badRequest("Invalid tag key %q: the aws: prefix is reserved", k)
		case len(v) > 256:
			return badRequest("Invalid tag value for %q: at most 256 characters", k)
		}
	}
	return nil
}
