package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// freshStream creates a stream of the given shards, waits until it is
// active and returns a function that deletes it. The workshop's way and the
// floor each start on a fresh stream: kinesis-local slows as a stream fills.
func freshStream(ctx context.Context, kin *kinesis.Client, name string, shards int32) (drop func(), err error) {
	if _, err := kin.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &name, ShardCount: aws.Int32(shards)}); err != nil {
		return nil, fmt.Errorf("create stream %s: %w", name, err)
	}
	drop = func() {
		_, _ = kin.DeleteStream(context.WithoutCancel(ctx), &kinesis.DeleteStreamInput{StreamName: &name})
	}
	if err := kinesis.NewStreamExistsWaiter(kin, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond }).
		Wait(ctx, &kinesis.DescribeStreamInput{StreamName: &name}, 30*time.Second); err != nil {
		drop()
		return nil, fmt.Errorf("stream %s: %w", name, err)
	}
	return drop, nil
}

// freshTable creates the table in, waits until it is active and returns a
// function that deletes it.
func freshTable(ctx context.Context, db *dynamodb.Client, in *dynamodb.CreateTableInput) (drop func(), err error) {
	if _, err := db.CreateTable(ctx, in); err != nil {
		return nil, fmt.Errorf("create table %s: %w", aws.ToString(in.TableName), err)
	}
	drop = func() {
		_, _ = db.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: in.TableName})
	}
	if err := dynamodb.NewTableExistsWaiter(db, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 200*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: in.TableName}, 30*time.Second); err != nil {
		drop()
		return nil, fmt.Errorf("table %s: %w", aws.ToString(in.TableName), err)
	}
	return drop, nil
}
