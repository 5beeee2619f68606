// Package stack makes, on the local emulators, the data resources of a
// resolved CloudFormation stack: AWS::Kinesis::Stream, AWS::DynamoDB::Table
// (with its indexes and TTL), AWS::SQS::Queue and AWS::SecretsManager::Secret
// (secret.go). A property that changes
// behaviour and is not implemented is an error naming it; properties with no
// local effect (encryption, point-in-time recovery, tags) are accepted and
// listed in the notes.
package stack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kin "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/cfn"
	"github.com/moviepipe/moviepipe/deploy/local/secretslocal"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
)

// Clients reach the emulators.
type Clients struct {
	Kinesis  *kinesis.Client
	DynamoDB *dynamodb.Client
	SQS      *sqslocal.Server
	Secrets  *secretslocal.Store
}

// Create makes r when it is a data resource, and reports whether it was
// one. Notes say what was accepted without a local effect.
func Create(ctx context.Context, cl Clients, r *cfn.Resource) (made bool, notes []string, err error) {
	switch r.Type {
	case "AWS::Kinesis::Stream":
		notes, err = stream(ctx, cl, r)
	case "AWS::DynamoDB::Table":
		notes, err = table(ctx, cl, r)
	case "AWS::SQS::Queue":
		notes, err = queue(cl, r)
	case "AWS::SecretsManager::Secret":
		notes, err = secret(cl, r)
	default:
		return false, nil, nil
	}
	return true, notes, err
}

// Delete deletes r when it is a data resource, as CloudFormation deletes a
// stack's: one already gone is not an error.
func Delete(ctx context.Context, cl Clients, r *cfn.Resource) error {
	var err error
	switch r.Type {
	case "AWS::Kinesis::Stream":
		_, err = cl.Kinesis.DeleteStream(ctx, &kinesis.DeleteStreamInput{StreamName: aws.String(r.Ref), EnforceConsumerDeletion: aws.Bool(true)})
		var gone *kin.ResourceNotFoundException
		if errors.As(err, &gone) {
			err = nil
		}
	case "AWS::DynamoDB::Table":
		// The emulator keeps no deletion protection: the template's is
		// applied here, with DynamoDB's words.
		if fmt.Sprint(r.Properties["DeletionProtectionEnabled"]) == "true" {
			return errors.New("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.") //nolint:staticcheck // DynamoDB's own text
		}
		_, err = cl.DynamoDB.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(r.Ref)})
		var gone *ddb.ResourceNotFoundException
		if errors.As(err, &gone) {
			err = nil
		}
	case "AWS::SQS::Queue":
		cl.SQS.DeleteQueue(r.Attrs["QueueName"])
	case "AWS::SecretsManager::Secret":
		cl.Secrets.Delete(r.Ref)
	}
	return err
}

func stream(ctx context.Context, cl Clients, r *cfn.Resource) ([]string, error) {
	p := r.Properties
	notes, err := r.Check([]string{"Name", "ShardCount", "StreamModeDetails"}, []string{"RetentionPeriodHours", "StreamEncryption", "Tags"})
	if err != nil {
		return nil, err
	}
	name := r.Ref
	in := &kinesis.CreateStreamInput{StreamName: &name}
	mode := "PROVISIONED"
	if m, ok := p["StreamModeDetails"].(map[string]any); ok {
		mode = str(m["StreamMode"])
	}
	if mode == "ON_DEMAND" {
		// kinesis-mock's on-demand streams start with its default shard count.
		in.StreamModeDetails = &kin.StreamModeDetails{StreamMode: kin.StreamModeOnDemand}
	} else {
		n, err := strconv.Atoi(str(p["ShardCount"]))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("Properties.ShardCount: want a positive number, got %v", p["ShardCount"])
		}
		in.ShardCount = aws.Int32(int32(n))
	}
	if _, err := cl.Kinesis.CreateStream(ctx, in); err != nil {
		var inUse *kin.ResourceInUseException
		if !errors.As(err, &inUse) {
			return nil, fmt.Errorf("create stream %s: %w", name, err)
		}
	}
	if err := kinesis.NewStreamExistsWaiter(cl.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 250*time.Millisecond
	}).Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &name}, 30*time.Second); err != nil {
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	return notes, nil
}

func table(ctx context.Context, cl Clients, r *cfn.Resource) ([]string, error) {
	p := r.Properties
	notes, err := r.Check([]string{"TableName", "BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "TimeToLiveSpecification",
		"DeletionProtectionEnabled"}, []string{"PointInTimeRecoverySpecification", "SSESpecification", "Tags"})
	if err != nil {
		return nil, err
	}
	name := r.Ref
	in := &dynamodb.CreateTableInput{TableName: &name, BillingMode: ddb.BillingModePayPerRequest}
	for _, a := range list(p["AttributeDefinitions"]) {
		m, _ := a.(map[string]any)
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddb.AttributeDefinition{AttributeName: aws.String(str(m["AttributeName"])), AttributeType: ddb.ScalarAttributeType(str(m["AttributeType"]))})
	}
	in.KeySchema = keys(p["KeySchema"])
	for _, g := range list(p["GlobalSecondaryIndexes"]) {
		m, _ := g.(map[string]any)
		proj, _ := m["Projection"].(map[string]any)
		gsi := ddb.GlobalSecondaryIndex{IndexName: aws.String(str(m["IndexName"])), KeySchema: keys(m["KeySchema"]),
			Projection: &ddb.Projection{ProjectionType: ddb.ProjectionType(str(proj["ProjectionType"]))}}
		for _, a := range list(proj["NonKeyAttributes"]) {
			gsi.Projection.NonKeyAttributes = append(gsi.Projection.NonKeyAttributes, str(a))
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	if _, err := cl.DynamoDB.CreateTable(ctx, in); err != nil {
		var inUse *ddb.ResourceInUseException
		if !errors.As(err, &inUse) {
			return nil, fmt.Errorf("create table %s: %w", name, err)
		}
	}
	if err := dynamodb.NewTableExistsWaiter(cl.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	if ttl, ok := p["TimeToLiveSpecification"].(map[string]any); ok && fmt.Sprint(ttl["Enabled"]) == "true" {
		_, err := cl.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &name,
			TimeToLiveSpecification: &ddb.TimeToLiveSpecification{AttributeName: aws.String(str(ttl["AttributeName"])), Enabled: aws.Bool(true)}})
		if err != nil {
			// dynalite does not implement TTL: items are never expired locally.
			notes = append(notes, fmt.Sprintf("%s (%s): TTL on %s not applied by the emulator (%v)", r.ID, r.Type, str(ttl["AttributeName"]), shortErr(err)))
		}
	}
	return notes, nil
}

// queue makes the queue on the local SQS; its Ref and QueueUrl become the
// local queue's URL, the address the SDK and the AWS CLI reach it at.
func queue(cl Clients, r *cfn.Resource) ([]string, error) {
	p := r.Properties
	notes, err := r.Check([]string{"QueueName", "MessageRetentionPeriod", "VisibilityTimeout"}, []string{"SqsManagedSseEnabled", "KmsMasterKeyId", "Tags"})
	if err != nil {
		return nil, err
	}
	attrs := map[string]string{}
	for _, k := range []string{"MessageRetentionPeriod", "VisibilityTimeout"} {
		if v, ok := p[k]; ok {
			attrs[k] = str(v)
		}
	}
	url, _ := cl.SQS.CreateQueue(r.Attrs["QueueName"], attrs)
	r.Ref, r.Attrs["QueueUrl"] = url, url
	return notes, nil
}

func str(v any) string {
	switch n := v.(type) {
	case nil:
		return ""
	case float64: // a JSON number: 1209600, not 1.2096e+06
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func keys(v any) []ddb.KeySchemaElement {
	var out []ddb.KeySchemaElement
	for _, k := range list(v) {
		m, _ := k.(map[string]any)
		out = append(out, ddb.KeySchemaElement{AttributeName: aws.String(str(m["AttributeName"])), KeyType: ddb.KeyType(str(m["KeyType"]))})
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
