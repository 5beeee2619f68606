// Command lambda is the scraper function: POST /scrapes (and the workshop's
// GET /scrap_movies) scrape SCRAPE_URL onto the stream; a run that cannot
// finish before API Gateway's limit continues in asynchronous invocations;
// GET /scrapes/{runId} answers a run's status.
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
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/moviepipe/moviepipe/scraper"
	"github.com/moviepipe/moviepipe/scraper/errortable"
	"github.com/moviepipe/moviepipe/scraper/fetch"
	"github.com/moviepipe/moviepipe/scraper/invoke"
	"github.com/moviepipe/moviepipe/scraper/publish"
	"github.com/moviepipe/moviepipe/scraper/runs"
	"github.com/moviepipe/moviepipe/scraper/tracing"
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

// build reads the configuration and wires the handler.
func build(ctx context.Context, getenv func(string) string) (*scraper.Handler, error) {
	cfg, err := scraper.LoadConfig(getenv)
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
	emf := scraper.EMF{W: os.Stdout, Namespace: "moviepipe", Function: getenv("AWS_LAMBDA_FUNCTION_NAME")}
	db := dynamodb.NewFromConfig(awsCfg)
	return &scraper.Handler{
		Scraper: &scraper.Scraper{
			Fetcher:      fetch.New(cfg.Fetch),
			Publisher:    &publish.Publisher{API: kinesis.NewFromConfig(awsCfg), Stream: cfg.Stream, Attempts: cfg.Attempts},
			Parker:       &errortable.Table{API: db, Name: cfg.ErrorsTable},
			Tracer:       tracing.XRay{Name: "scraper"},
			Profile:      cfg.Profile,
			AllowedHosts: cfg.AllowedHosts,
			MaxDepth:     cfg.MaxDepth,
			Pages:        &runs.Pages{API: db, Name: cfg.RunsTable},
			TracePerPage: cfg.TracePerPage,
			TracePerRun:  cfg.TracePerRun,
			Log:          log,
		},
		Invoker:     invoke.Self{API: awslambda.NewFromConfig(awsCfg)},
		Lease:       &runs.Lease{API: db, Name: cfg.RunsTable},
		Runs:        &runs.Table{API: db, Name: cfg.RunsTable},
		URL:         cfg.URL,
		MaxPages:    cfg.MaxPages,
		SyncBudget:  cfg.SyncBudget,
		AsyncMargin: 30 * time.Second,
		TraceID:     tracing.TraceID,
		Metrics:     emf.Write,
		Log:         log,
	}, nil
}
