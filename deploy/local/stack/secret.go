package stack

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
)

// defaultSecretKey is the key Secrets Manager encrypts a secret with when
// KmsKeyId is left out: the only one emulated.
const defaultSecretKey = "alias/aws/secretsmanager"

// secret makes an AWS::SecretsManager::Secret on the local Secrets
// Manager under r.Ref, the ARN its stack gave it: its value generated as
// GenerateSecretString asks, or SecretString's (a template giving neither
// makes a secret with no value, as on AWS). A secret that exists under
// r.Ref is kept with its value. Replication (ReplicaRegions) and a key of
// one's own (KmsKeyId) are refused.
func secret(cl Clients, r *cfn.Resource) ([]string, error) {
	notes, err := r.Check([]string{"Name", "Description", "GenerateSecretString", "SecretString", "KmsKeyId"}, []string{"Tags"})
	if err != nil {
		return nil, err
	}
	if k, ok := r.Properties["KmsKeyId"]; ok && k != defaultSecretKey {
		return nil, fmt.Errorf("property KmsKeyId %v: only the default key, %s, is emulated", k, defaultSecretKey)
	}
	if cl.Secrets.Has(r.Ref) {
		return notes, nil
	}
	s := secretslocal.Secret{ARN: r.Ref, Name: secretName(r.Ref), Description: str(r.Properties["Description"])}
	gen, generated := r.Properties["GenerateSecretString"]
	given, hasValue := r.Properties["SecretString"].(string)
	switch {
	case generated && hasValue:
		return nil, errors.New("you can't specify both SecretString and GenerateSecretString")
	case generated:
		g, err := generateSpec(gen)
		if err != nil {
			return nil, err
		}
		if s.Value, err = g.Value(); err != nil {
			return nil, err
		}
		s.HasValue = true
	case hasValue:
		s.Value, s.HasValue = given, true
	}
	return notes, cl.Secrets.Create(s)
}

// secretName is a secret's name: its ARN's last part, less the suffix.
func secretName(arn string) string {
	name := arn[strings.LastIndexByte(arn, ':')+1:]
	if suffix := secretslocal.Suffix(arn); suffix != "" {
		name = strings.TrimSuffix(name, "-"+suffix)
	}
	return name
}

// generateSpec reads GenerateSecretString, refusing a setting it does not
// know.
func generateSpec(v any) (secretslocal.Generate, error) {
	var g secretslocal.Generate
	m, ok := v.(map[string]any)
	if !ok {
		return g, errors.New("property GenerateSecretString: not an object")
	}
	flags := map[string]*bool{"ExcludeLowercase": &g.ExcludeLowercase, "ExcludeNumbers": &g.ExcludeNumbers,
		"ExcludePunctuation": &g.ExcludePunctuation, "ExcludeUppercase": &g.ExcludeUppercase, "IncludeSpace": &g.IncludeSpace}
	for k, v := range m {
		switch k {
		case "PasswordLength":
			n, err := strconv.Atoi(str(v))
			if err != nil {
				return g, fmt.Errorf("property GenerateSecretString.PasswordLength %v: not an integer", v)
			}
			g.PasswordLength = &n
		case "ExcludeCharacters":
			g.ExcludeCharacters = str(v)
		case "SecretStringTemplate":
			g.SecretStringTemplate = str(v)
		case "GenerateStringKey":
			g.GenerateStringKey = str(v)
		case "RequireEachIncludedType":
			b := str(v) == "true"
			g.RequireEachIncludedType = &b
		default:
			p, known := flags[k]
			if !known {
				return g, fmt.Errorf("property GenerateSecretString.%s: not supported by the local cloud", k)
			}
			*p = str(v) == "true"
		}
	}
	return g, nil
}
