package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// Exit codes of the audit command.
const (
	auditOK           = 0
	auditNonCompliant = 1
	auditFailed       = 2
)

// auditReport is the audit's result, as its JSON output writes it.
type auditReport struct {
	Region    string        `json:"region"`
	AccountID string        `json:"accountId"`
	Results   []auditResult `json:"results"`
	Summary   auditSummary  `json:"summary"`
}

type auditResult struct {
	VPCID      string          `json:"vpcId"`
	Compliance rule.Compliance `json:"compliance"`
	Annotation string          `json:"annotation"`
}

type auditSummary struct {
	VPCs          int `json:"vpcs"`
	Compliant     int `json:"compliant"`
	NonCompliant  int `json:"nonCompliant"`
	NotApplicable int `json:"notApplicable"`
}

// runAudit evaluates every VPC of a region with the caller's credentials and prints the result.
// It only reads (Describe calls and sts:GetCallerIdentity) and returns the exit code: 1 when any
// VPC is NON_COMPLIANT, 2 when the audit could not run.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: bootstrap audit [flags]\n\nEvaluates every VPC of a region with your credentials, as the rule would, and changes nothing.\nExit status: 0 all VPCs pass, 1 some VPC is NON_COMPLIANT, 2 the audit could not run.\n\nflags:")
		fs.PrintDefaults()
	}
	region := fs.String("region", "", "AWS region to audit (default: from the AWS configuration, e.g. AWS_REGION)")
	output := fs.String("output", "table", "output format: table or json")
	params := map[string]*string{
		rule.ParamServiceNames:           fs.String("service-names", "", "comma-separated services, short (ec2, ecr.api) or full names (default ec2)"),
		rule.ParamVPCIDs:                 fs.String("vpc-ids", "", "comma-separated VPC IDs to evaluate; others are NOT_APPLICABLE"),
		rule.ParamExemptTag:              fs.String("exempt-tag", "", "key or key=value; VPCs carrying it are NOT_APPLICABLE"),
		rule.ParamMinAvailabilityZones:   fs.String("min-availability-zones", "", "the endpoint's subnets must span at least this many AZs"),
		rule.ParamRequirePrivateDNS:      boolFlag(fs, "require-private-dns", "the endpoint must have private DNS enabled"),
		rule.ParamRequireHTTPSFromVPC:    boolFlag(fs, "require-https-from-vpc", "a security group of the endpoint must allow TCP 443 from the VPC"),
		rule.ParamForbidFullAccessPolicy: boolFlag(fs, "forbid-full-access-policy", "a full-access endpoint policy does not count"),
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return auditOK
		}
		return auditFailed
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "audit: unexpected argument %q\n", fs.Arg(0))
		return auditFailed
	}
	if *output != "table" && *output != "json" {
		fmt.Fprintf(stderr, "audit: --output %q: use table or json\n", *output)
		return auditFailed
	}

	var opts []func(*config.LoadOptions) error
	if *region != "" {
		opts = append(opts, config.WithRegion(*region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Region == "" {
		err = errNoRegion
	}
	if err != nil {
		fmt.Fprintf(stderr, "audit: load AWS configuration: %v\n", err)
		return auditFailed
	}
	report, err := audit(ctx, cfg, params)
	if err != nil {
		fmt.Fprintf(stderr, "audit: %v\n", err)
		return auditFailed
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = writeAuditTable(stdout, report)
	}
	if err != nil {
		fmt.Fprintf(stderr, "audit: write output: %v\n", err)
		return auditFailed
	}
	if report.Summary.NonCompliant > 0 {
		return auditNonCompliant
	}
	return auditOK
}

// boolFlag declares a boolean flag that yields the rule parameter's text: "" when not given.
func boolFlag(fs *flag.FlagSet, name, usage string) *string {
	s := new(string)
	fs.BoolFunc(name, usage, func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return err
		}
		*s = strconv.FormatBool(b)
		return nil
	})
	return s
}

// audit reads the region and decides every VPC, with the same code the Lambda function runs.
func audit(ctx context.Context, cfg aws.Config, flags map[string]*string) (auditReport, error) {
	raw := make(map[string]string, len(flags))
	for name, v := range flags {
		if *v != "" {
			raw[name] = *v
		}
	}
	doc, err := json.Marshal(raw)
	if err != nil {
		return auditReport{}, err
	}
	p, err := rule.ParseParams(string(doc), cfg.Region)
	if err != nil {
		return auditReport{}, err
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return auditReport{}, fmt.Errorf("identify the account (sts:GetCallerIdentity): %w", err)
	}
	scope := rule.Scope{Region: cfg.Region, AccountID: aws.ToString(who.Account)}
	results, err := evaluateRegion(ctx, ec2.NewFromConfig(cfg), p, scope)
	if err != nil {
		return auditReport{}, err
	}
	report := auditReport{Region: scope.Region, AccountID: scope.AccountID, Results: make([]auditResult, 0, len(results))}
	for _, r := range results {
		report.Results = append(report.Results, auditResult{VPCID: r.ResourceID, Compliance: r.Compliance, Annotation: r.Annotation})
		report.Summary.VPCs++
		switch r.Compliance {
		case rule.Compliant:
			report.Summary.Compliant++
		case rule.NonCompliant:
			report.Summary.NonCompliant++
		case rule.NotApplicable:
			report.Summary.NotApplicable++
		}
	}
	return report, nil
}

func writeAuditTable(w io.Writer, r auditReport) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VPC\tCOMPLIANCE\tANNOTATION")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", res.VPCID, res.Compliance, res.Annotation)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s, account %s: %d VPCs, %d compliant, %d non-compliant, %d not applicable\n",
		r.Region, r.AccountID, r.Summary.VPCs, r.Summary.Compliant, r.Summary.NonCompliant, r.Summary.NotApplicable)
	return err
}
