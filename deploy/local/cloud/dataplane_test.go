package cloud_test

import (
	"errors"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"

	"github.com/moviepipe/moviepipe/deploy/local/cloud"
	"github.com/moviepipe/moviepipe/deploy/local/faults"
)

// The operator's data-plane endpoints reach the emulators themselves: with
// every DynamoDB read of the functions throttled, the operator's reaches
// dynalite (which answers that the table does not exist).
func TestOperatorDataPlaneIsNotFaulted(t *testing.T) {
	c, err := cloud.Up(t.Context(), cloud.Options{Root: root(t), Empty: true, Log: io.Discard,
		Faults: &faults.Config{DynamoDBThrottle: 1, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	creds := c.State.Credentials
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.State.Endpoints["dynamodb"]), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	_, err = db.Scan(t.Context(), &dynamodb.ScanInput{TableName: aws.String("nope")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Fatalf("the operator's Scan: %v, want dynalite's ResourceNotFoundException", err)
	}
}
