package apigwadmin

import (
	"errors"
	"net/http"
	"slices"
)

func (s *Service) getRestAPIs(w http.ResponseWriter, r *http.Request) {
	var items []restAPIJSON
	for _, a := range s.Stages.RestAPIs() {
		items = append(items, restAPIJSON{ID: a.ID, Name: a.Name, Description: a.Description,
			CreatedDate: epoch(a.Created), RootResourceID: a.RootResourceID})
	}
	q := r.URL.Query()
	p, e := paginate(items, func(a restAPIJSON) string { return a.ID }, q.Get("position"), q.Get("limit"))
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Service) getDeployments(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("restApiId")
	deployments, err := s.Stages.Deployments(id)
	if err != nil {
		writeError(w, s.failed(id, err))
		return
	}
	var items []deploymentJSON
	for _, d := range deployments {
		items = append(items, deploymentJSON{ID: d.ID, Description: d.Description, CreatedDate: epoch(d.Created)})
	}
	q := r.URL.Query()
	p, e := paginate(items, func(d deploymentJSON) string { return d.ID }, q.Get("position"), q.Get("limit"))
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Service) getStage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("restApiId")
	st, err := s.Stages.Stage(id, r.PathValue("stageName"))
	if err != nil {
		writeError(w, s.failed(id, err))
		return
	}
	writeJSON(w, http.StatusOK, stageOut(st))
}

// createStage makes a stage on a deployment of the API, with the settings
// the local cloud emulates; it answers 201 and the stage (LocalStack's
// AWS-recorded snapshots of CreateStage).
func (s *Service) createStage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("restApiId")
	var in struct {
		StageName, DeploymentID, Description string
		TracingEnabled                       bool
		CacheClusterEnabled                  bool
		Tags, Variables                      map[string]string
		CanarySettings                       any
		DocumentationVersion                 string
	}
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if e := checkCreate(in.StageName, in.DeploymentID); e != nil {
		writeError(w, e)
		return
	}
	if in.CacheClusterEnabled || len(in.Variables) > 0 || in.CanarySettings != nil || in.DocumentationVersion != "" {
		writeError(w, notEmulated("a stage's cache cluster, variables, canary or documentation version (CreateStage)"))
		return
	}
	if e := s.checkDeployment(id, in.DeploymentID); e != nil {
		writeError(w, e)
		return
	}
	now := s.now()
	st := Stage{Name: in.StageName, DeploymentID: in.DeploymentID, Description: in.Description,
		TracingEnabled: in.TracingEnabled, Tags: in.Tags, Created: now, LastUpdated: now}
	if err := s.Stages.CreateStage(id, st); err != nil {
		writeError(w, s.failed(id, err))
		return
	}
	writeJSON(w, http.StatusCreated, stageOut(st))
}

func checkCreate(stage, deployment string) *apiError {
	switch {
	case stage == "":
		return badRequest("Stage name must be non-empty")
	case deployment == "":
		return badRequest("Deployment id must be non-empty")
	}
	return nil
}

// checkDeployment refuses a deployment the API does not have, in the words
// AWS uses for a stage's unknown deployment id (LocalStack's AWS-recorded
// snapshots, "update-stage-no-deployment": "Deployment id does not
// exist", 400).
func (s *Service) checkDeployment(apiID, deploymentID string) *apiError {
	deployments, err := s.Stages.Deployments(apiID)
	if err != nil {
		return s.failed(apiID, err)
	}
	if !slices.ContainsFunc(deployments, func(d Deployment) bool { return d.ID == deploymentID }) {
		return badRequest("Deployment id does not exist")
	}
	return nil
}

// updateStage applies the patch operations in order, all or none.
func (s *Service) updateStage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		PatchOperations []PatchOperation `json:"patchOperations"`
	}
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	id, name := r.PathValue("restApiId"), r.PathValue("stageName")
	st, e := s.change(id, name, func(st *Stage) *apiError { return applyPatch(st, in.PatchOperations) })
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, stageOut(st))
}

// change updates a stage by fn, and stamps its last update.
func (s *Service) change(apiID, name string, fn func(*Stage) *apiError) (Stage, *apiError) {
	if !s.hasAPI(apiID) {
		return Stage{}, s.notFoundAPI(apiID)
	}
	st, err := s.Stages.UpdateStage(apiID, name, func(st *Stage) error {
		if e := fn(st); e != nil {
			return e
		}
		st.LastUpdated = s.now()
		return nil
	})
	if err != nil {
		return Stage{}, s.failed(apiID, err)
	}
	return st, nil
}

func (s *Service) hasAPI(id string) bool {
	return slices.ContainsFunc(s.Stages.RestAPIs(), func(a RestAPI) bool { return a.ID == id })
}

// failed turns an error of Stages (or of a change) into its answer.
func (s *Service) failed(apiID string, err error) *apiError {
	var e *apiError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, ErrNotFound) && !s.hasAPI(apiID):
		return s.notFoundAPI(apiID)
	case errors.Is(err, ErrNotFound):
		return notFoundStage
	case errors.Is(err, ErrConflict):
		// moto's words for it; AWS's ConflictException, 409.
		return &apiError{http.StatusConflict, "ConflictException", "Stage already exists"}
	default:
		return badRequest("The local cloud refused the change: %v", err)
	}
}

func (e *apiError) Error() string { return e.typ + ": " + e.message }
