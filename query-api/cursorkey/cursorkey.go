// Package cursorkey reads the key that seals the listing's cursors
// (queryapi.Cursor) from its Secrets Manager secret, once, when the function
// starts.
//
// The key is a secret generated per stage (the shared stack's
// CursorKeySecret), never derived from a public name: whoever knows the key
// can forge a cursor. A function that cannot read it does not start, and
// says which secret and why.
//
// Rotation: each execution environment keeps the key it read at start.
// When the secret's value changes, environments started afterwards seal
// and check cursors with the new value; a cursor sealed with the other
// value is refused as any foreign cursor is, 400 invalid cursor
// (TestTamperedAndForeignCursors), and the client starts its listing
// again. Until the older environments are recycled (a deploy of the
// query-api stack replaces them all), a listing may meet both keys.
package cursorkey

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// MinLength is the shortest key accepted, in bytes: the shared stack
// generates 64 characters.
const MinLength = 32

// SecretsAPI is the Secrets Manager call Read makes.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Read returns the current value of the secret arn (its SecretString) as
// the cursor key. An error names CURSOR_KEY_SECRET_ARN and the secret: the
// call failed (Secrets Manager's own error wrapped: AccessDeniedException,
// ResourceNotFoundException, …), or the secret holds no text or a value
// shorter than MinLength.
func Read(ctx context.Context, api SecretsAPI, arn string) ([]byte, error) {
	out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("CURSOR_KEY_SECRET_ARN: read secret %s: %w", arn, err)
	}
	key := aws.ToString(out.SecretString)
	if len(key) < MinLength {
		return nil, fmt.Errorf("CURSOR_KEY_SECRET_ARN: secret %s holds a text of %d bytes, want at least %d", arn, len(key), MinLength)
	}
	return []byte(key), nil
}
