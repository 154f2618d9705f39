package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
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

// auditOptions are the audit command's flags, parsed.
type auditOptions struct {
	region string
	output string
	rules  *paramFlags
}

// errAuditHelp is returned by parseAuditArgs for --help, after printing the help.
var errAuditHelp = errors.New("help requested")

// parseAuditArgs reads the audit's flags. It checks the rule parameters' values for region
// (the default region when empty), before any AWS call; help goes to stdout.
func parseAuditArgs(prog string, args []string, stdout io.Writer) (auditOptions, error) {
	var o auditOptions
	own := pflag.NewFlagSet("audit", pflag.ContinueOnError)
	own.SortFlags = false
	own.StringVar(&o.region, "region", "", "AWS region to audit (default: from the AWS configuration, e.g. AWS_REGION)")
	own.StringVar(&o.output, "output", "table", "output format: table or json")
	o.rules = newParamFlags()
	fs := pflag.NewFlagSet(prog+" audit", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.AddFlagSet(own)
	fs.AddFlagSet(o.rules.fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: %s audit [flags]\n\n", prog)
			fmt.Fprintln(stdout, "Evaluates every VPC of a region with your credentials, as the rule would, and changes nothing.")
			fmt.Fprintln(stdout, "Exit status: 0 all VPCs pass, 1 some VPC is NON_COMPLIANT, 2 the audit could not run.")
			fmt.Fprintf(stdout, "\nFlags:\n%s\nRule parameters (each flag stands for the rule parameter of the same name):\n%s", own.FlagUsages(), o.rules.fs.FlagUsages())
			return o, errAuditHelp
		}
		return o, fmt.Errorf("%w\nRun '%s audit --help' for the flags", err, prog)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.output != "table" && o.output != "json" {
		return o, fmt.Errorf("invalid value %q for --output: use table or json", o.output)
	}
	if _, err := o.rules.params(cmp.Or(o.region, "us-east-1")); err != nil {
		return o, err
	}
	return o, nil
}

// runAudit evaluates every VPC of a region with the caller's credentials and prints the result.
// It only reads (Describe calls and sts:GetCallerIdentity) and returns the exit code: 1 when any
// VPC is NON_COMPLIANT, 2 when the audit could not run.
func runAudit(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	o, err := parseAuditArgs(prog, args, stdout)
	if errors.Is(err, errAuditHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: %v\n", prog, err)
		return exitFailed
	}
	region, output, rules := &o.region, &o.output, o.rules
	var opts []func(*config.LoadOptions) error
	if *region != "" {
		opts = append(opts, config.WithRegion(*region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Region == "" {
		err = errNoRegion
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: load AWS configuration: %v\n", prog, err)
		return exitFailed
	}
	p, err := rules.params(cfg.Region)
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: %v\n", prog, err)
		return exitFailed
	}
	report, err := audit(ctx, cfg, p)
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: %v\n", prog, err)
		return exitFailed
	}
	if *output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = writeAuditTable(stdout, report)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: write output: %v\n", prog, err)
		return exitFailed
	}
	if report.Summary.NonCompliant > 0 {
		return exitFinding
	}
	return exitOK
}

// audit reads the region and decides every VPC, with the same code the Lambda function runs.
func audit(ctx context.Context, cfg aws.Config, p rule.Params) (auditReport, error) {
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
