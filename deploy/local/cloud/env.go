package cloud

import "strings"

// DeployEnv is the environment a deploy tool (osls, the AWS CLI, an SDK
// program) runs with to call this local cloud instead of AWS: the SDKs'
// AWS_ENDPOINT_URL_<SERVICE> variable for each endpoint, the operator's
// credentials, the Region, and nothing that would reach for other
// credentials. env is the caller's environment (os.Environ()); variables
// naming another profile, session or endpoint are dropped from it.
func (s *State) DeployEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AWS_ENDPOINT_URL"), name == "AWS_PROFILE", name == "AWS_DEFAULT_PROFILE",
			name == "AWS_SESSION_TOKEN", name == "AWS_ACCESS_KEY_ID", name == "AWS_SECRET_ACCESS_KEY",
			name == "AWS_REGION", name == "AWS_DEFAULT_REGION", name == "AWS_CONFIG_FILE", name == "AWS_SHARED_CREDENTIALS_FILE":
			continue
		}
		out = append(out, kv)
	}
	for service, url := range s.Endpoints {
		if service == "" { // every other service: refused by name
			out = append(out, "AWS_ENDPOINT_URL="+url)
			continue
		}
		out = append(out, "AWS_ENDPOINT_URL_"+strings.ToUpper(strings.ReplaceAll(service, "-", "_"))+"="+url)
	}
	return append(out, "AWS_ACCESS_KEY_ID="+s.Credentials.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+s.Credentials.SecretAccessKey,
		"AWS_REGION="+region, "AWS_DEFAULT_REGION="+region, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
}
