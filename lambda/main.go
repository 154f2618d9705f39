// Command bootstrap is the AWS Lambda function of the ec2-vpc-endpoint-rule AWS Config rule.
package main

import (
	"cmp"
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
)

func main() {
	logger := newLogger(os.Stdout, cmp.Or(os.Getenv("LOG_LEVEL"), os.Getenv("AWS_LAMBDA_LOG_LEVEL")))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err == nil && cfg.Region == "" {
		err = errNoRegion
	}
	if err != nil {
		logger.Error("load AWS configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	h := &handler{
		region:         cfg.Region,
		clients:        newClientFactory(cfg).clientsFor,
		log:            logger,
		putAttempts:    defaultPutAttempts,
		putBackoff:     defaultPutBackoff,
		deadlineMargin: defaultDeadlineMargin,
	}
	lambda.Start(h.Handle)
}
