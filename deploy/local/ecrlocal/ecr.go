// Package ecrlocal is the local cloud's Amazon ECR as far as osls uses it
// for this project: DescribeRepositories, which osls remove sends for
// every service (lib/plugins/aws/lib/check-if-ecr-repository-exists.js) to
// learn whether it must delete the service's image repository
// "serverless-{service}-{stage}". The local cloud runs zip functions only
// and has no repositories: a named repository is always
// RepositoryNotFoundException, which osls reads as "nothing to delete", and
// a listing is empty. It speaks the AWS JSON 1.1 protocol of the AWS SDKs
// ("AmazonEC2ContainerRegistry_V20150921" targets); every other operation
// is refused with UnknownOperationException naming it.
package ecrlocal

import (
	"fmt"
	"net/http"

	"github.com/moviepipe/moviepipe/deploy/local/internal/awsjson"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// New returns ECR for account (the default registry id). verify checks
// each request's SigV4 signature (service "ecr") before anything else; nil
// checks nothing (tests of the API alone).
func New(account string, verify func(r *http.Request, body []byte) *sigv4.Failure) http.Handler {
	return &awsjson.Service{Name: "ECR", Prefix: "AmazonEC2ContainerRegistry_V20150921", Verify: verify,
		Operations: map[string]awsjson.Operation{
			"DescribeRepositories": func(body []byte) (any, *awsjson.Error) { return describeRepositories(account, body) },
		}}
}

func describeRepositories(account string, body []byte) (any, *awsjson.Error) {
	var in struct {
		RegistryID      string   `json:"registryId"`
		RepositoryNames []string `json:"repositoryNames"`
	}
	if e := awsjson.Decode(body, &in); e != nil {
		return nil, e
	}
	registry := in.RegistryID
	if registry == "" {
		registry = account
	}
	if len(in.RepositoryNames) > 0 {
		// ECR's words, as docker and the AWS CLI print them for a real
		// registry: "The repository with name 'oresvc' does not exist in the
		// registry with id '904734893309'".
		return nil, &awsjson.Error{Status: http.StatusBadRequest, Type: "RepositoryNotFoundException",
			Message: fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryNames[0], registry)}
	}
	return struct {
		Repositories []struct{} `json:"repositories"`
	}{Repositories: []struct{}{}}, nil
}
