package cloud

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/frontdoor"
	"github.com/moviepipe/moviepipe/deploy/local/iam"
	"github.com/moviepipe/moviepipe/deploy/local/sigv4"
)

// Credentials are what a caller signs with.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken,omitempty"`
}

// principals are the callers the cloud knows, by access key: each function
// with its role, and the operator (the person at the keyboard, the tests,
// make demo), who may do anything, as an administrator.
type principals struct {
	byKey    map[string]*frontdoor.Principal
	byName   map[string]*frontdoor.Principal
	operator *frontdoor.Principal
}

// newPrincipals gives every function its own session credentials and
// reads its role's policies; a role the cloud cannot evaluate as IAM would
// stops the start.
func newPrincipals(d *declared) (*principals, error) {
	ps := &principals{byKey: map[string]*frontdoor.Principal{}, byName: map[string]*frontdoor.Principal{}}
	ps.operator = &frontdoor.Principal{Name: "operator", Admin: true, Identity: sigv4.Identity{
		AccessKeyID: "AKIA" + keyID("operator"), SecretAccessKey: secret(),
		ARN: "arn:aws:iam::" + account + ":user/local", UserID: "AIDA" + keyID("operator/user")}}
	ps.add(ps.operator)
	for _, f := range d.functions {
		role, ok := d.roles[f.roleARN]
		if !ok {
			return nil, fmt.Errorf("function %s: role %s is not a role of these stacks", f.name, f.roleARN)
		}
		policies, err := rolePolicies(role)
		if err != nil {
			return nil, fmt.Errorf("function %s: role %s: %w", f.name, role.Ref, err)
		}
		roleID := role.Attrs["RoleId"]
		ps.add(&frontdoor.Principal{Name: f.name, Role: f.roleARN, Policies: policies, Identity: sigv4.Identity{
			AccessKeyID: "ASIA" + keyID(f.name), SecretAccessKey: secret(), SessionToken: secret() + secret(),
			ARN:    "arn:aws:sts::" + account + ":assumed-role/" + role.Ref + "/" + f.name,
			UserID: roleID + ":" + f.name}})
	}
	return ps, nil
}

func (ps *principals) add(p *frontdoor.Principal) {
	ps.byKey[p.Identity.AccessKeyID], ps.byName[p.Name] = p, p
}

// find is a principal by access key.
func (ps *principals) find(accessKeyID string) (*frontdoor.Principal, bool) {
	p, ok := ps.byKey[accessKeyID]
	return p, ok
}

// identity is a sigv4 key lookup over the principals.
func (ps *principals) identity(accessKeyID string) (sigv4.Identity, bool) {
	p, ok := ps.byKey[accessKeyID]
	if !ok {
		return sigv4.Identity{}, false
	}
	return p.Identity, true
}

// functions are the function principals, in a stable order.
func (ps *principals) functions(d *declared) []*frontdoor.Principal {
	out := make([]*frontdoor.Principal, 0, len(d.functions))
	for _, f := range d.functions {
		out = append(out, ps.byName[f.name])
	}
	return out
}

// rolePolicies reads a role's inline policies. Managed policies are not in
// the template, so they cannot be evaluated here: the start stops.
func rolePolicies(role *cfn.Resource) ([]iam.Policy, error) {
	if m, _ := role.Properties["ManagedPolicyArns"].([]any); len(m) > 0 {
		return nil, fmt.Errorf("ManagedPolicyArns %v: managed policies are not in the template, so the local cloud cannot evaluate them", m)
	}
	list, _ := role.Properties["Policies"].([]any)
	var out []iam.Policy
	for i, x := range list {
		p, _ := x.(map[string]any)
		name, _ := p["PolicyName"].(string)
		if name == "" {
			name = fmt.Sprintf("Policies[%d]", i)
		}
		pol, err := iam.ParsePolicy(name, p["PolicyDocument"])
		if err != nil {
			return nil, err
		}
		out = append(out, pol)
	}
	return out, nil
}

// keyID is 16 characters of an access key id, the same at every start for
// the same caller, so that logs read alike.
func keyID(seed string) string {
	sum := sha256.Sum256([]byte("moviepipe-local/" + seed))
	return base32.StdEncoding.EncodeToString(sum[:])[:16]
}

// secret is a random secret access key: the local cloud's credentials are
// made at each start and never the same as any real ones.
func secret() string {
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	return strings.TrimRight(base32.StdEncoding.EncodeToString(b), "=")[:40]
}

// door serves the front door of one service in front of upstream.
func (c *Cloud) door(service, upstream string) (string, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return "", err
	}
	return c.serve(&frontdoor.Door{Service: service, Upstream: u, Region: region, Account: account,
		Principals: c.principals.find, Report: c.report, Log: c.log})
}

// Sign signs req, whose body is body, with the operator's credentials for
// service ("execute-api" for an AWS_IAM method, "lambda" for the Invoke API),
// as the AWS SDK, the AWS CLI or curl --aws-sigv4 sign it.
func (c *Cloud) Sign(req *http.Request, body []byte, service string) error {
	return Sign(req, body, c.State.Credentials, service)
}

// Sign signs req, whose body is body, with creds for service in the local
// cloud's region, with the AWS SDK's signer.
func Sign(req *http.Request, body []byte, creds Credentials, service string) error {
	sum := sha256.Sum256(body)
	ac := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	return v4.NewSigner().SignHTTP(req.Context(), ac, req, hex.EncodeToString(sum[:]), service, region, time.Now())
}

// Permissions is what the front doors saw: per function, the permissions
// used and denied, and the grants of its role no call used.
type Permissions struct {
	Used, Denied []frontdoor.Use
	Unused       []frontdoor.Grant
}

// Permissions returns the permission report of the run so far.
func (c *Cloud) Permissions() Permissions {
	var p Permissions
	for _, u := range c.report.Uses() {
		if u.Allowed {
			p.Used = append(p.Used, u)
		} else {
			p.Denied = append(p.Denied, u)
		}
	}
	p.Unused = c.report.Unused(c.principals.functions(c.declared))
	return p
}
