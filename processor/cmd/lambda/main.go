// Command lambda is the processor function: Kinesis batches of
// movie-record.v1 into the movies table, failures into the error table.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/moviepipe/moviepipe/processor"
	"github.com/moviepipe/moviepipe/processor/dynamo"
	"github.com/moviepipe/moviepipe/processor/tracing"
)

func main() {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		// In the log format Lambda configured, as every other line.
		lambdacontext.NewLogger().Error("cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// build reads the configuration and wires the handler: everything the
// function needs before its first event.
func build(ctx context.Context, getenv func(string) string) (*processor.Handler, error) {
	cfg, err := processor.LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	log := lambdacontext.NewLogger()
	tracing.Quiet(log)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	tracing.Instrument(&awsCfg)
	emf := processor.EMF{W: os.Stdout, Namespace: "moviepipe", Function: getenv("AWS_LAMBDA_FUNCTION_NAME")}
	return &processor.Handler{
		Store: &dynamo.Store{
			API:                dynamodb.NewFromConfig(awsCfg),
			MoviesTable:        cfg.MoviesTable,
			ErrorsTable:        cfg.ErrorsTable,
			UnprocessedRetries: 5,
			Backoff:            50 * time.Millisecond,
		},
		Tracer:         tracing.XRay{Name: "processor"},
		Log:            log,
		MaxRecordBytes: cfg.MaxRecordBytes,
		MaxClockSkew:   cfg.MaxClockSkew,
		Concurrency:    cfg.Concurrency,
		ErrorTTL:       cfg.ErrorTTL,
		Margin:         cfg.Margin,
		Metrics:        emf.Write,
	}, nil
}
