package iam

import "fmt"

// secretsOperations are the Secrets Manager operations identified: each
// authorized by the action of its name on the secret its SecretId names
// ("Actions, resources, and condition keys for AWS Secrets Manager").
var secretsOperations = map[string]bool{"GetSecretValue": true, "DescribeSecret": true}

// identifySecretsManager reads SecretId: the secret's name, partial ARN or
// full ARN, which is the Permission's resource as given. IAM evaluates the
// call on the secret's full ARN (…:secret:NAME-AbCdEf), which only Secrets
// Manager knows for a name or a partial ARN: the front door resolves it
// (Call.ResolveSecret) before evaluating.
func identifySecretsManager(op string, body []byte, _ arns) (Call, error) {
	if !secretsOperations[op] {
		return Call{}, fmt.Errorf("secretsmanager %q: %w", op, ErrNotEmulated)
	}
	f, err := decode(op, body)
	if err != nil {
		return Call{}, err
	}
	id := f.str("SecretId")
	if id == "" {
		return Call{}, fmt.Errorf("secretsmanager %s: no SecretId: %w", op, ErrMalformed)
	}
	return one("secretsmanager", op, JSON11, "secretsmanager:"+op, id), nil
}

// ResolveSecret replaces the SecretId of a Secrets Manager call by the
// full ARN of the secret it names, as lookup (the service) finds it. A
// SecretId no secret answers to stays as given, and AWS's denial names it
// so ("… on resource: settings because no identity-based policy allows
// …"); a call of another service is left alone.
func (c *Call) ResolveSecret(lookup func(id string) (arn string, ok bool)) {
	if c.Service != "secretsmanager" {
		return
	}
	for i, p := range c.Permissions {
		if arn, ok := lookup(p.Resource); ok {
			c.Permissions[i].Resource = arn
		}
	}
}
