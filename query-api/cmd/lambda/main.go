// Command lambda is the query API function: GET /movies/{id} and GET /movies.
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
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	queryapi "github.com/moviepipe/moviepipe/query-api"
	"github.com/moviepipe/moviepipe/query-api/cursorkey"
	"github.com/moviepipe/moviepipe/query-api/dynamo"
	"github.com/moviepipe/moviepipe/query-api/tracing"
)

func main() {
	h, err := build(context.Background(), os.Getenv)
	if err != nil {
		// In the log format Lambda configured, as every other line.
		lambdacontext.NewLogger().Error("cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.HandleEvent)
}

// build reads the configuration and wires the handler.
func build(ctx context.Context, getenv func(string) string) (*queryapi.Handler, error) {
	cfg, err := queryapi.LoadConfig(getenv)
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
	key, err := readCursorKey(ctx, secretsmanager.NewFromConfig(awsCfg), cfg.CursorKeySecretARN)
	if err != nil {
		return nil, err
	}
	return &queryapi.Handler{
		Store:        &dynamo.Store{API: dynamodb.NewFromConfig(awsCfg), Table: cfg.MoviesTable, YearIndex: cfg.YearIndex},
		Cursor:       queryapi.Cursor{Key: key},
		StoreTimeout: cfg.StoreTimeout,
		Log:          log,
	}, nil
}

// secretTimeout bounds the read of the cursor key at start, well inside
// Lambda's 10 s init phase.
const secretTimeout = 5 * time.Second

// readCursorKey reads the cursor key once, before the first request.
func readCursorKey(ctx context.Context, api cursorkey.SecretsAPI, arn string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, secretTimeout)
	defer cancel()
	return cursorkey.Read(ctx, api, arn)
}
