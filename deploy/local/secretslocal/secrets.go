// Package secretslocal is the local cloud's AWS Secrets Manager: the
// secrets the stacks declare (AWS::SecretsManager::Secret, made by the
// stack package with a value generated as GenerateSecretString asks), kept
// in memory for as long as their stack and the cloud exist, and the two
// read operations functions and operators make, GetSecretValue and
// DescribeSecret, over the AWS JSON 1.1 protocol (X-Amz-Target
// "secretsmanager.<Operation>"). Any other operation is refused by name.
//
// A secret is named by its full ARN (…:secret:NAME-AbCdEf, the six
// characters Secrets Manager adds), its partial ARN (without them) or its
// name, as the Secrets Manager API Reference allows for SecretId. The
// service checks no signature and no permission: it stands behind a front
// door (frontdoor.Door, service "secretsmanager") that verifies SigV4 and
// evaluates the caller's role on the secret's full ARN (Resolve), as IAM
// does.
package secretslocal

import (
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Secret is one secret and its current value.
type Secret struct {
	ARN, Name, Description string
	// Value is the secret's text (SecretString); HasValue is false for a
	// secret made with neither SecretString nor GenerateSecretString, which
	// has no version.
	Value     string
	HasValue  bool
	VersionID string
	Created   time.Time
}

// Store holds the secrets of one account and Region.
type Store struct {
	mu      sync.Mutex
	secrets map[string]*Secret // by full ARN
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{secrets: map[string]*Secret{}} }

// Create adds s. A secret of the same name under another ARN is
// Secrets Manager's ResourceExistsException; the same ARN again is kept as
// it is (an update of its stack that changed nothing).
func (st *Store) Create(s Secret) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.secrets[s.ARN]; ok {
		return nil
	}
	for _, other := range st.secrets {
		if other.Name == s.Name {
			return fmt.Errorf("ResourceExistsException: The operation failed because the secret %s already exists.", s.Name) //nolint:staticcheck // Secrets Manager's own text
		}
	}
	if s.HasValue && s.VersionID == "" {
		s.VersionID = newVersionID()
	}
	if s.Created.IsZero() {
		s.Created = time.Now()
	}
	st.secrets[s.ARN] = &s
	return nil
}

// Has reports whether a secret of this full ARN exists.
func (st *Store) Has(arn string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.secrets[arn]
	return ok
}

// Delete deletes a secret at once (no recovery window is emulated); one
// already gone is not an error, as for a stack deletion.
func (st *Store) Delete(arn string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.secrets, arn)
}

// Lookup finds a secret by SecretId: its full ARN, its partial ARN or its
// name.
func (st *Store) Lookup(id string) (Secret, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s, ok := st.secrets[id]; ok {
		return *s, true
	}
	for _, s := range st.secrets {
		partial := strings.TrimSuffix(s.ARN, "-"+Suffix(s.ARN))
		if s.Name == id || strings.HasPrefix(id, "arn:") && partial == id {
			return *s, true
		}
	}
	return Secret{}, false
}

// Resolve is the full ARN of the secret a SecretId names, for IAM to
// evaluate the call on (frontdoor.Door.Resolve).
func (st *Store) Resolve(id string) (string, bool) {
	s, ok := st.Lookup(id)
	return s.ARN, ok
}

// Suffix is the six characters Secrets Manager adds to a secret's name in
// its ARN ("AbCdEf" of …:secret:name-AbCdEf), "" if arn has none.
func Suffix(arn string) string {
	i := strings.LastIndexByte(arn, '-')
	if i < 0 || len(arn)-i-1 != 6 {
		return ""
	}
	return arn[i+1:]
}

// newVersionID is a version id in the UUID form Secrets Manager gives.
func newVersionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:])
}
