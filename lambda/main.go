// Command bootstrap is the AWS Lambda function of the ec2-vpc-endpoint-rule AWS Config rule.
//
// Run as "bootstrap audit [flags]", it evaluates a region with the caller's credentials instead,
// changing nothing; see runAudit.
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
	if len(os.Args) > 1 && os.Args[1] == "audit" {
		os.Exit(runAudit(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
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
