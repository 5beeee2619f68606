package cursorkey_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/moviepipe/moviepipe/query-api/cursorkey"
)

const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:moviepipe-dev-cursor-key-AbCdEf"

// fake answers GetSecretValue with its value or its error, and records the
// secret asked for.
type fake struct {
	value *string
	err   error
	asked string
}

func (f *fake) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.asked = aws.ToString(in.SecretId)
	if f.err != nil {
		return nil, f.err
	}
	return &secretsmanager.GetSecretValueOutput{ARN: aws.String(arn), SecretString: f.value}, nil
}

func TestReadReturnsTheSecretsText(t *testing.T) {
	value := strings.Repeat("k", 64)
	f := &fake{value: aws.String(value)}
	key, err := cursorkey.Read(context.Background(), f, arn)
	if err != nil || string(key) != value || f.asked != arn {
		t.Fatalf("key %q, asked %q, %v", key, f.asked, err)
	}
}

// A secret that cannot be read, or holds no usable key, stops the start
// naming the setting, the secret and the reason.
func TestReadFailureNamesTheSecret(t *testing.T) {
	denied := &types.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	tests := map[string]struct {
		f    *fake
		want string
	}{
		"not found":   {&fake{err: denied}, "ResourceNotFoundException"},
		"other error": {&fake{err: errors.New("AccessDeniedException: not authorized")}, "AccessDeniedException"},
		"binary only": {&fake{}, "holds a text of 0 bytes, want at least 32"},
		"too short":   {&fake{value: aws.String("short")}, "holds a text of 5 bytes"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := cursorkey.Read(context.Background(), tt.f, arn)
			if err == nil || !strings.Contains(err.Error(), "CURSOR_KEY_SECRET_ARN") || !strings.Contains(err.Error(), arn) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want CURSOR_KEY_SECRET_ARN, %s and %q", err, arn, tt.want)
			}
		})
	}
	var nf *types.ResourceNotFoundException
	if _, err := cursorkey.Read(context.Background(), &fake{err: denied}, arn); !errors.As(err, &nf) {
		t.Errorf("the SDK's error is not kept: %v", err)
	}
}
