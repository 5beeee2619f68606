package cloud

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
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
// make demo, osls), who may do anything, as an administrator. Deploys add
// and remove function principals while the front doors look them up.
type principals struct {
	mu       sync.RWMutex
	byKey    map[string]*frontdoor.Principal
	byName   map[string]*frontdoor.Principal
	operator *frontdoor.Principal
}

// newPrincipals makes the operator's credentials, new at each start.
func newPrincipals() *principals {
	ps := &principals{byKey: map[string]*frontdoor.Principal{}, byName: map[string]*frontdoor.Principal{}}
	ps.operator = &frontdoor.Principal{Name: "operator", Admin: true, Identity: sigv4.Identity{
		AccessKeyID: "AKIA" + keyID("operator"), SecretAccessKey: secret(),
		ARN: "arn:aws:iam::" + account + ":user/local", UserID: "AIDA" + keyID("operator/user")}}
	ps.put(ps.operator)
	return ps
}

// functionPrincipal gives a function session credentials of its role and
// reads the role's policies; a role the cloud cannot evaluate as IAM would
// is an error. A function whose role is unchanged keeps the credentials it
// has, so that its running environments go on signing with them.
func (ps *principals) functionPrincipal(f *function, roles map[string]*cfn.Resource) (*frontdoor.Principal, error) {
	role, ok := roles[f.roleARN]
	if !ok {
		return nil, fmt.Errorf("role %s is not a role of this stack", f.roleARN)
	}
	policies, err := rolePolicies(role)
	if err != nil {
		return nil, fmt.Errorf("role %s: %w", role.Ref, err)
	}
	ps.mu.RLock()
	old := ps.byName[f.name]
	ps.mu.RUnlock()
	if old != nil && old.Role == f.roleARN && reflect.DeepEqual(old.Policies, policies) {
		return old, nil
	}
	return &frontdoor.Principal{Name: f.name, Role: f.roleARN, Policies: policies, Identity: sigv4.Identity{
		AccessKeyID: "ASIA" + keyID(fmt.Sprintf("%s/%s/%v", f.name, f.roleARN, policies)), SecretAccessKey: secret(), SessionToken: secret() + secret(),
		ARN:    "arn:aws:sts::" + account + ":assumed-role/" + role.Ref + "/" + f.name,
		UserID: role.Attrs["RoleId"] + ":" + f.name}}, nil
}

// put registers p in place of any principal of its name.
func (ps *principals) put(p *frontdoor.Principal) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if old := ps.byName[p.Name]; old != nil {
		delete(ps.byKey, old.Identity.AccessKeyID)
	}
	ps.byKey[p.Identity.AccessKeyID], ps.byName[p.Name] = p, p
}

// remove forgets a function's principal: its credentials stop working.
func (ps *principals) remove(name string) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if old := ps.byName[name]; old != nil {
		delete(ps.byKey, old.Identity.AccessKeyID)
		delete(ps.byName, name)
	}
}

// find is a principal by access key.
func (ps *principals) find(accessKeyID string) (*frontdoor.Principal, bool) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	p, ok := ps.byKey[accessKeyID]
	return p, ok
}

// named is a principal by name.
func (ps *principals) named(name string) *frontdoor.Principal {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.byName[name]
}

// identity is a sigv4 key lookup over the principals.
func (ps *principals) identity(accessKeyID string) (sigv4.Identity, bool) {
	p, ok := ps.find(accessKeyID)
	if !ok {
		return sigv4.Identity{}, false
	}
	return p.Identity, true
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
	d := &frontdoor.Door{Service: service, Upstream: u, Region: region, Account: account,
		Principals: c.principals.find, Report: c.report, Log: c.log}
	if service == "secretsmanager" {
		d.Secrets = c.secrets.Resolve
	}
	return c.serve(d)
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
	var fns []*frontdoor.Principal
	for _, f := range c.functions() {
		fns = append(fns, c.principals.named(f.name))
	}
	p.Unused = c.report.Unused(fns)
	return p
}
