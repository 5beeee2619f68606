package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The lines moviepipe-local env prints, evaluated by a shell, drive the AWS
// SDK: with nothing but the environment, the SDK's clients reach the local
// cloud's control and data planes as the operator; the caller's own
// profile and endpoints are unset.
func TestEnvDrivesTheSDK(t *testing.T) {
	c, getenv := runningCloud(t)
	t.Setenv("AWS_PROFILE", "production")
	t.Setenv("AWS_ENDPOINT_URL_IAM", "https://iam.amazonaws.com")
	code, out, stderr := moviepipeLocal(t, getenv, "env")
	if code != 0 {
		t.Fatalf("env: exit %d: %s", code, stderr)
	}
	for name, value := range evalInShell(t, out) {
		t.Setenv(name, value)
	}
	for _, gone := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL_IAM"} {
		if v, ok := os.LookupEnv(gone); ok {
			t.Errorf("after eval, %s=%s is still set", gone, v)
		}
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, exports := t.Context(), c.State.Exports
	calls := map[string]func() error{
		"sts GetCallerIdentity": func() error {
			out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err == nil && aws.ToString(out.Arn) != "arn:aws:iam::000000000000:user/local" {
				t.Errorf("caller %s, want the operator", aws.ToString(out.Arn))
			}
			return err
		},
		"cloudformation DescribeStacks": func() error {
			_, err := cloudformation.NewFromConfig(cfg).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("moviepipe-processor-local")})
			return err
		},
		"kinesis DescribeStreamSummary": func() error {
			_, err := kinesis.NewFromConfig(cfg).DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(exports["moviepipe-local-StreamName"])})
			return err
		},
		"dynamodb DescribeTable": func() error {
			_, err := dynamodb.NewFromConfig(cfg).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(exports["moviepipe-local-MoviesTableName"])})
			return err
		},
		"sqs GetQueueAttributes": func() error {
			_, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(exports["moviepipe-local-OnFailureQueueUrl"])})
			return err
		},
		"secretsmanager DescribeSecret": func() error {
			out, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("moviepipe-local-cursor-key")})
			if err == nil && aws.ToString(out.ARN) != exports["moviepipe-local-CursorKeySecretArn"] {
				t.Errorf("secret %s, want the shared stack's", aws.ToString(out.ARN))
			}
			return err
		},
		"lambda GetFunction": func() error {
			_, err := lambda.NewFromConfig(cfg).GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("moviepipe-query-api-local")})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The data-plane endpoints verify the signature as AWS does.
	forged := cfg.Copy()
	forged.Credentials = credentials.NewStaticCredentialsProvider(c.State.Credentials.AccessKeyID, "not-the-secret", "")
	_, err = dynamodb.NewFromConfig(forged).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(exports["moviepipe-local-MoviesTableName"])})
	if err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("a wrong secret: %v, want InvalidSignatureException", err)
	}
}

// evalInShell evaluates lines in bash and returns the AWS variables of the
// environment it ends with.
func evalInShell(t *testing.T, lines string) map[string]string {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), "bash", "-c", `eval "$(cat)" && env -0`)
	cmd.Stdin = strings.NewReader(lines)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("eval: %v: %s\n%s", err, errb.String(), lines)
	}
	vars := map[string]string{}
	for _, kv := range strings.Split(out.String(), "\x00") {
		if name, value, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, "AWS_") {
			vars[name] = value
		}
	}
	if len(vars) == 0 {
		t.Fatalf("eval set no AWS variable:\n%s", lines)
	}
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			if _, kept := vars[name]; !kept {
				t.Setenv(name, "")
				_ = os.Unsetenv(name)
			}
		}
	}
	return vars
}

// A value reaches the shell as it is, whatever it holds; a variable the
// deploy environment drops is unset.
func TestExportLinesSurviveTheShell(t *testing.T) {
	value := "it's $HOME `true` \"quoted\""
	t.Setenv("AWS_PROFILE", "production")
	lines := exportLines([]string{"AWS_TEST_VALUE=" + value}, []string{"AWS_TEST_VALUE=" + value}, []string{"AWS_PROFILE=production"})
	vars := evalInShell(t, strings.Join(lines, "\n"))
	if vars["AWS_TEST_VALUE"] != value {
		t.Errorf("AWS_TEST_VALUE=%q after eval, want %q\n%s", vars["AWS_TEST_VALUE"], value, lines)
	}
	if _, ok := vars["AWS_PROFILE"]; ok {
		t.Errorf("AWS_PROFILE kept:\n%s", lines)
	}
}
