package secretslocal

import (
	"net/http"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awsjson"
)

// currentStage is the staging label of a secret's current version.
const currentStage = "AWSCURRENT"

// NewService serves GetSecretValue and DescribeSecret of st's secrets.
func NewService(st *Store) http.Handler {
	return &awsjson.Service{Name: "Secrets Manager", Prefix: "secretsmanager", Operations: map[string]awsjson.Operation{
		"GetSecretValue": st.getSecretValue,
		"DescribeSecret": st.describeSecret,
	}}
}

// errNotFound is ResourceNotFoundException with Secrets Manager's message.
func errNotFound(msg string) *awsjson.Error {
	return &awsjson.Error{Status: http.StatusBadRequest, Type: "ResourceNotFoundException", Message: msg}
}

// find reads the request's SecretId and finds its secret.
func (st *Store) find(body []byte, in any, id func() string) (Secret, *awsjson.Error) {
	if e := awsjson.Decode(body, in); e != nil {
		return Secret{}, e
	}
	if id() == "" {
		return Secret{}, &awsjson.Error{Status: http.StatusBadRequest, Type: "InvalidParameterException", Message: "SecretId is required"}
	}
	s, ok := st.Lookup(id())
	if !ok {
		return Secret{}, errNotFound("Secrets Manager can't find the specified secret.")
	}
	return s, nil
}

// getSecretValue answers the current version's value: by default, by its
// VersionId, or by the label AWSCURRENT. A secret with no value, another
// version or another label is ResourceNotFoundException ("Secrets Manager
// can't find the specified secret value for staging label: AWSCURRENT", as
// for a secret made without a value, boto/boto3#2794).
func (st *Store) getSecretValue(body []byte) (any, *awsjson.Error) {
	var in struct{ SecretId, VersionId, VersionStage string }
	s, e := st.find(body, &in, func() string { return in.SecretId })
	if e != nil {
		return nil, e
	}
	switch {
	case in.VersionId != "" && in.VersionId != s.VersionID:
		return nil, errNotFound("Secrets Manager can't find the specified secret value for VersionId: " + in.VersionId)
	case in.VersionStage != "" && in.VersionStage != currentStage:
		return nil, errNotFound("Secrets Manager can't find the specified secret value for staging label: " + in.VersionStage)
	case !s.HasValue:
		return nil, errNotFound("Secrets Manager can't find the specified secret value for staging label: " + currentStage)
	}
	return map[string]any{"ARN": s.ARN, "Name": s.Name, "VersionId": s.VersionID, "SecretString": s.Value,
		"VersionStages": []string{currentStage}, "CreatedDate": epoch(s)}, nil
}

// describeSecret answers what a secret is, never its value.
func (st *Store) describeSecret(body []byte) (any, *awsjson.Error) {
	var in struct{ SecretId string }
	s, e := st.find(body, &in, func() string { return in.SecretId })
	if e != nil {
		return nil, e
	}
	out := map[string]any{"ARN": s.ARN, "Name": s.Name, "CreatedDate": epoch(s), "LastChangedDate": epoch(s)}
	if s.Description != "" {
		out["Description"] = s.Description
	}
	if s.HasValue {
		out["VersionIdsToStages"] = map[string][]string{s.VersionID: {currentStage}}
	}
	return out, nil
}

// epoch is a time as the JSON protocols carry it: seconds since 1970.
func epoch(s Secret) float64 { return float64(s.Created.UnixMilli()) / 1000 }
