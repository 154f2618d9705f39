// Command bootstrap is the AWS Lambda function of the ec2-vpc-endpoint-rule AWS Config rule.
//
// Run outside Lambda (no AWS_LAMBDA_RUNTIME_API in the environment), it is a command line:
// "bootstrap audit [flags]" evaluates VPCs with the caller's credentials, changing nothing, and
// "bootstrap remediate --vpc-id vpc-…" plans (and with --apply makes) the fix of a VPC, and
// "bootstrap version" prints the build; see runCLI. With FUNCTION_MODE=remediation in its
// environment the function is the Config remediation's instead; see remediationHandler.
package main

import (
	"cmp"
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// envExecutionRoleName is set by the organization deployment (deploy/organization.yaml) to the
// execution role the function assumes in every account; it turns organization mode on.
const envExecutionRoleName = "EXECUTION_ROLE_NAME"

func main() {
	if os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		os.Exit(runCLI(context.Background(), os.Args, os.Stdout, os.Stderr))
	}
	logger := newLogger(os.Stdout, cmp.Or(os.Getenv("LOG_LEVEL"), os.Getenv("AWS_LAMBDA_LOG_LEVEL")))
	b := readBuildInfo()
	logger.Info("start", slog.String("version", b.Version), slog.String("revision", b.Revision), slog.String("goVersion", b.GoVersion))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err == nil && cfg.Region == "" {
		err = errNoRegion
	}
	if err != nil {
		logger.Error("load AWS configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	if os.Getenv(functionModeEnv) == functionModeRemediation {
		rh, err := newRemediationHandler(context.Background(), cfg, logger)
		if err != nil {
			logger.Error("start the remediation function", slog.String("error", err.Error()))
			os.Exit(1)
		}
		lambda.Start(rh.Handle)
		return
	}
	var org *organization
	if name := os.Getenv(envExecutionRoleName); name != "" {
		// The Organizations client exists only in an organization deployment.
		if org, err = newOrganization(name, cfg.Region, organizations.NewFromConfig(cfg)); err != nil {
			logger.Error("organization deployment", slog.String("error", err.Error()))
			os.Exit(1)
		}
	}
	h := &handler{
		region:         cfg.Region,
		clients:        newClientFactory(cfg).clientsFor,
		org:            org,
		log:            logger,
		putAttempts:    defaultPutAttempts,
		putBackoff:     defaultPutBackoff,
		deadlineMargin: defaultDeadlineMargin,
	}
	lambda.Start(h.Handle)
}
