// Package stack creates, on the local emulators, the resources a stack's
// serverless.yml declares (AWS::Kinesis::Stream, AWS::DynamoDB::Table with
// its indexes and TTL, AWS::SQS::Queue), records those it does not emulate
// (SNS topics, CloudWatch alarms), and resolves its Outputs and Exports.
// A property it cannot honour is an error naming the property.
package stack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kin "github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/moviepipe/moviepipe/deploy/local/sls"
	"github.com/moviepipe/moviepipe/deploy/local/sqslocal"
)

// Clients reach the emulators.
type Clients struct {
	Kinesis  *kinesis.Client
	DynamoDB *dynamodb.Client
	SQS      *sqslocal.Server
}

// Created is what a stack made: each resource's Ref and attributes, and the
// stack's exports.
type Created struct {
	Refs    map[string]string
	Attrs   map[string]map[string]string
	Exports map[string]string
	Streams map[string]string // ARN → name
	Notes   []string          // declared, not emulated
}

// Env returns the intrinsic environment of the created stack.
func (c *Created) Env(region, account string, exports map[string]string) sls.Env {
	return sls.Env{Region: region, AccountID: account, Exports: exports,
		Ref:  func(id string) (string, bool) { v, ok := c.Refs[id]; return v, ok },
		Attr: func(id, a string) (string, bool) { v, ok := c.Attrs[id][a]; return v, ok }}
}

// Create makes the resources of s.
func Create(ctx context.Context, s *sls.Service, cl Clients, region, account string, log *slog.Logger) (*Created, error) {
	c := &Created{Refs: map[string]string{}, Attrs: map[string]map[string]string{}, Exports: map[string]string{}, Streams: map[string]string{}}
	env := c.Env(region, account, nil)
	env.Ref = func(id string) (string, bool) {
		if v, ok := s.Parameters[id]; ok {
			return fmt.Sprint(v), true
		}
		v, ok := c.Refs[id]
		return v, ok
	}
	env.Conditions = map[string]bool{}
	for name, expr := range s.Conditions {
		v, err := env.Resolve(expr, "Conditions."+name)
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("condition %s: not a condition", name)
		}
		env.Conditions[name] = b
	}
	ids := make([]string, 0, len(s.Resources))
	for id := range s.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// Alarms and the like refer to the others: make the data resources first.
	sort.SliceStable(ids, func(i, j int) bool { return rank(s.Resources[ids[i]].Type) < rank(s.Resources[ids[j]].Type) })
	for _, id := range ids {
		r := s.Resources[id]
		at := "resources.Resources." + id + ".Properties"
		v, err := env.Resolve(r.Properties, at)
		if err != nil {
			return nil, err
		}
		props, _ := v.(map[string]any)
		switch r.Type {
		case "AWS::Kinesis::Stream":
			err = c.stream(ctx, id, props, at, cl, region, account)
		case "AWS::DynamoDB::Table":
			err = c.table(ctx, id, props, at, cl, log)
		case "AWS::SQS::Queue":
			err = c.queue(id, props, at, cl)
		case "AWS::SNS::Topic":
			name := str(props["TopicName"])
			arn := "arn:aws:sns:" + region + ":" + account + ":" + name
			c.Refs[id], c.Attrs[id] = arn, map[string]string{"TopicArn": arn, "TopicName": name}
			c.Notes = append(c.Notes, id+" (SNS topic "+name+"): declared, not emulated")
		case "AWS::CloudWatch::Alarm":
			c.Refs[id] = str(props["AlarmName"])
			c.Notes = append(c.Notes, id+" (alarm "+str(props["AlarmName"])+"): declared, not emulated")
		default:
			err = fmt.Errorf("resources.Resources.%s: type %s is not emulated by the local cloud", id, r.Type)
		}
		if err != nil {
			return nil, err
		}
	}
	for id, o := range s.Outputs {
		val, err := env.String(o.Value, "resources.Outputs."+id+".Value")
		if err != nil {
			return nil, err
		}
		if o.Export != nil {
			name, err := env.String(o.Export, "resources.Outputs."+id+".Export.Name")
			if err != nil {
				return nil, err
			}
			c.Exports[name] = val
		}
	}
	return c, nil
}

func rank(typ string) int {
	switch typ {
	case "AWS::Kinesis::Stream", "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SNS::Topic":
		return 0
	}
	return 1
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// check reports the properties a resource type does not know here.
func check(props map[string]any, at string, emulated, accepted []string) error {
	ok := map[string]bool{}
	for _, k := range append(emulated, accepted...) {
		ok[k] = true
	}
	var errs []error
	for k := range props {
		if !ok[k] {
			errs = append(errs, fmt.Errorf("%s.%s: not supported by the local cloud", at, k))
		}
	}
	return errors.Join(errs...)
}

func (c *Created) stream(ctx context.Context, id string, p map[string]any, at string, cl Clients, region, account string) error {
	if err := check(p, at, []string{"Name", "ShardCount", "StreamModeDetails"}, []string{"RetentionPeriodHours", "StreamEncryption", "Tags"}); err != nil {
		return err
	}
	name := str(p["Name"])
	if name == "" {
		return fmt.Errorf("%s.Name: required locally (a generated name is not emulated)", at)
	}
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
			return fmt.Errorf("%s.ShardCount: want a positive number, got %v", at, p["ShardCount"])
		}
		in.ShardCount = aws.Int32(int32(n))
	}
	if _, err := cl.Kinesis.CreateStream(ctx, in); err != nil {
		var inUse *kin.ResourceInUseException
		if !errors.As(err, &inUse) {
			return fmt.Errorf("create stream %s: %w", name, err)
		}
	}
	if err := kinesis.NewStreamExistsWaiter(cl.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 250*time.Millisecond
	}).Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &name}, 30*time.Second); err != nil {
		return fmt.Errorf("stream %s: %w", name, err)
	}
	arn := "arn:aws:kinesis:" + region + ":" + account + ":stream/" + name
	c.Refs[id], c.Attrs[id] = name, map[string]string{"Arn": arn}
	c.Streams[arn] = name
	return nil
}

func (c *Created) table(ctx context.Context, id string, p map[string]any, at string, cl Clients, log *slog.Logger) error {
	if err := check(p, at, []string{"TableName", "BillingMode", "AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "TimeToLiveSpecification"},
		[]string{"PointInTimeRecoverySpecification", "SSESpecification", "DeletionProtectionEnabled", "Tags", "StreamSpecification"}); err != nil {
		return err
	}
	name := str(p["TableName"])
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
			return fmt.Errorf("create table %s: %w", name, err)
		}
	}
	if err := dynamodb.NewTableExistsWaiter(cl.DynamoDB, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	if ttl, ok := p["TimeToLiveSpecification"].(map[string]any); ok && fmt.Sprint(ttl["Enabled"]) == "true" {
		_, err := cl.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &name,
			TimeToLiveSpecification: &ddb.TimeToLiveSpecification{AttributeName: aws.String(str(ttl["AttributeName"])), Enabled: aws.Bool(true)}})
		if err != nil {
			// dynalite does not implement TTL: items are never expired locally.
			c.Notes = append(c.Notes, fmt.Sprintf("%s: TTL on %s not applied by the emulator (%v)", id, str(ttl["AttributeName"]), shortErr(err)))
		}
	}
	out, err := cl.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	if err != nil {
		return err
	}
	arn := aws.ToString(out.Table.TableArn)
	c.Refs[id], c.Attrs[id] = name, map[string]string{"Arn": arn}
	if log != nil {
		log.Debug("table", "name", name, "arn", arn)
	}
	return nil
}

func (c *Created) queue(id string, p map[string]any, at string, cl Clients) error {
	if err := check(p, at, []string{"QueueName", "MessageRetentionPeriod", "VisibilityTimeout"}, []string{"SqsManagedSseEnabled", "KmsMasterKeyId", "Tags"}); err != nil {
		return err
	}
	name := str(p["QueueName"])
	attrs := map[string]string{}
	for _, k := range []string{"MessageRetentionPeriod", "VisibilityTimeout"} {
		if v, ok := p[k]; ok {
			attrs[k] = str(v)
		}
	}
	url, arn := cl.SQS.CreateQueue(name, attrs)
	c.Refs[id], c.Attrs[id] = url, map[string]string{"Arn": arn, "QueueName": name, "QueueUrl": url}
	return nil
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
