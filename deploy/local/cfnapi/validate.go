package cfnapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// templateOf reads a request's TemplateBody or TemplateURL and applies the
// checks CloudFormation makes of a template on its own.
func (s *Service) templateOf(q query) ([]byte, *cfn.Template, error) {
	body := []byte(q.str("TemplateBody"))
	if u := q.str("TemplateURL"); u != "" {
		if s.Fetch == nil {
			return nil, nil, validation("TemplateURL must be a supported URL.")
		}
		b, err := s.Fetch(u)
		if err != nil {
			return nil, nil, validation("S3 error: %v", err)
		}
		body = b
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, validation("Either Template URL or Template Body must be specified.")
	}
	if trimmed := bytes.TrimSpace(body); trimmed[0] != '{' {
		return nil, nil, validation("Template format error: the local CloudFormation reads JSON templates only (YAML is not emulated)")
	}
	tpl, err := cfn.Parse(body)
	if err != nil {
		return nil, nil, validation("Template format error: %v", err)
	}
	if err := knownTypes(tpl); err != nil {
		return nil, nil, err
	}
	return body, tpl, nil
}

// knownTypes refuses resource types CloudFormation does not have, by its
// registry as goformation generates it.
func knownTypes(tpl *cfn.Template) error {
	known := cloudformation.AllResources()
	var unknown []string
	for _, r := range tpl.Resources {
		if _, ok := known[r.Type]; !ok && !strings.HasPrefix(r.Type, "Custom::") && r.Type != "AWS::CloudFormation::CustomResource" {
			unknown = append(unknown, r.Type)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return validation("Template format error: Unrecognized resource types: [%s]", strings.Join(unknown, ", "))
}

// checkParameters applies CloudFormation's checks of the given parameter
// values against the template's declarations.
func checkParameters(tpl *cfn.Template, given map[string]string) error {
	var undeclared, unset []string
	for k := range given {
		if _, ok := tpl.Parameters[k]; !ok {
			undeclared = append(undeclared, k)
		}
	}
	for k, p := range tpl.Parameters {
		if _, ok := given[k]; !ok && p.Default == nil {
			unset = append(unset, k)
		}
	}
	sort.Strings(undeclared)
	sort.Strings(unset)
	switch {
	case len(undeclared) > 0:
		return validation("Parameters: [%s] do not exist in the template", strings.Join(undeclared, ", "))
	case len(unset) > 0:
		return validation("Parameters: [%s] must have values", strings.Join(unset, ", "))
	}
	return nil
}

// checkCapabilities requires CAPABILITY_IAM for IAM resources and
// CAPABILITY_NAMED_IAM for named ones, as CloudFormation does.
func checkCapabilities(tpl *cfn.Template, given []string) error {
	need := ""
	for _, r := range tpl.Resources {
		if !strings.HasPrefix(r.Type, "AWS::IAM::") {
			continue
		}
		if need == "" {
			need = "CAPABILITY_IAM"
		}
		for _, k := range []string{"RoleName", "UserName", "GroupName", "ManagedPolicyName", "InstanceProfileName"} {
			if _, named := r.Properties[k]; named {
				need = "CAPABILITY_NAMED_IAM"
			}
		}
	}
	if need == "" || stringsContain(given, need) || need == "CAPABILITY_IAM" && stringsContain(given, "CAPABILITY_NAMED_IAM") {
		return nil
	}
	return &apiError{http.StatusBadRequest, "InsufficientCapabilitiesException", fmt.Sprintf("Requires capabilities : [%s]", need)}
}

func (s *Service) validateTemplate(_ context.Context, q query) (any, error) {
	_, tpl, err := s.templateOf(q)
	if err != nil {
		return nil, err
	}
	type param struct {
		ParameterKey string `xml:"ParameterKey"`
		DefaultValue string `xml:"DefaultValue,omitempty"`
		NoEcho       bool   `xml:"NoEcho"`
		Description  string `xml:"Description,omitempty"`
	}
	out := struct {
		Parameters   []param  `xml:"Parameters>member"`
		Description  string   `xml:"Description,omitempty"`
		Capabilities []string `xml:"Capabilities>member"`
	}{Description: tpl.Description}
	for _, k := range sortedKeys(tpl.Parameters) {
		p := tpl.Parameters[k]
		d := ""
		if p.Default != nil {
			d = fmt.Sprint(p.Default)
		}
		out.Parameters = append(out.Parameters, param{k, d, p.NoEcho, p.Description})
	}
	if err := checkCapabilities(tpl, nil); err != nil {
		named := strings.Contains(err.Error(), "NAMED")
		out.Capabilities = []string{map[bool]string{true: "CAPABILITY_NAMED_IAM", false: "CAPABILITY_IAM"}[named]}
	}
	return out, nil
}
