package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/pflag"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/remediate"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule/remedy"
)

// remediateOptions are the remediate command's flags, checked.
type remediateOptions struct {
	region       string
	vpcID        string
	services     []rule.Service
	azs          int
	policyFile   string
	policy       string
	apply        bool
	enableVPCDNS bool
	output       string
}

// The outputs of the remediate command.
const (
	outputPlan           = "plan"
	outputTerraform      = "terraform"
	outputCloudFormation = "cloudformation"
)

var errRemediateHelp = errors.New("help requested")

// parseRemediateArgs reads the remediate command's flags; help goes to stdout. Values that stand
// for rule parameters (--vpc-id, --service-names, --availability-zones) are read by
// rule.ParseParams, as the rule reads them.
func parseRemediateArgs(prog string, args []string, stdout io.Writer) (remediateOptions, error) {
	var o remediateOptions
	var serviceNames string
	fs := pflag.NewFlagSet(prog+" remediate", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.vpcID, "vpc-id", "", "the VPC to fix (required)")
	fs.StringVar(&o.region, "region", "", "its AWS region (default: from the AWS configuration, e.g. AWS_REGION)")
	fs.StringVar(&serviceNames, "service-names", rule.DefaultService, "comma-separated services that need an endpoint, short (ec2, ecr.api) or full names")
	fs.IntVar(&o.azs, "availability-zones", remedy.DefaultAvailabilityZones, "AZs each endpoint spans (fewer when the VPC has subnets in fewer, said so)")
	fs.StringVar(&o.policyFile, "policy-file", "", "JSON endpoint policy narrower than full access, for every endpoint the fix creates or whose full-access policy it replaces")
	fs.BoolVar(&o.apply, "apply", false, "make the changes (without it, nothing is changed: Describe calls only)")
	fs.BoolVar(&o.enableVPCDNS, "enable-vpc-dns", false, "turn on the VPC's enableDnsSupport and enableDnsHostnames if private DNS needs them")
	fs.StringVar(&o.output, "output", outputPlan, "plan (what exists, what would change and why), terraform or cloudformation (the fix as code; changes nothing)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprintf(stdout, "Usage: %s remediate --vpc-id vpc-… [flags]\n\n", prog)
			fmt.Fprintln(stdout, "Makes a VPC pass every practice check of the rule: an Interface endpoint per service in one")
			fmt.Fprintln(stdout, "subnet per AZ (private subnets first), private DNS on, a security group allowing TCP 443 from")
			fmt.Fprintln(stdout, "every CIDR block of the VPC, and the policy of --policy-file. Without --apply it prints the plan.")
			fmt.Fprintln(stdout, "Exit status: 0 done or nothing to do, 1 the plan has changes (without --apply), 2 could not run.")
			fmt.Fprintf(stdout, "\nFlags:\n%s", fs.FlagUsages())
			return o, errRemediateHelp
		}
		return o, fmt.Errorf("%w\nRun '%s remediate --help' for the flags", err, prog)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.vpcID == "" {
		return o, errors.New("--vpc-id is required")
	}
	switch o.output {
	case outputPlan, outputTerraform, outputCloudFormation:
	default:
		return o, fmt.Errorf("invalid value %q for --output: use plan, terraform or cloudformation", o.output)
	}
	if o.apply && o.output != outputPlan {
		return o, fmt.Errorf("--apply changes the VPC; --output %s only writes the fix as code: give one of them", o.output)
	}
	params := map[string]string{
		rule.ParamVPCIDs:               o.vpcID,
		rule.ParamServiceNames:         serviceNames,
		rule.ParamMinAvailabilityZones: strconv.Itoa(o.azs),
	}
	flags := map[string]string{rule.ParamVPCIDs: "vpc-id", rule.ParamServiceNames: "service-names", rule.ParamMinAvailabilityZones: "availability-zones"}
	if o.region == "" {
		// Full service names name a region: they are read once the region is known (the caller
		// parses again with --region).
		delete(params, rule.ParamServiceNames)
	}
	doc, _ := json.Marshal(params)
	p, err := rule.ParseParams(string(doc), o.region)
	var pe *rule.ParamError
	if errors.As(err, &pe) {
		if pe.Param == rule.ParamVPCIDs || strings.Contains(o.vpcID, ",") {
			// The parameter takes a list; the flag takes one VPC.
			return o, fmt.Errorf("invalid value %q for --vpc-id: give one VPC ID (vpc- and 8 or 17 hex digits)", o.vpcID)
		}
		return o, fmt.Errorf("invalid value for --%s: %s", flags[pe.Param], pe.Reason)
	}
	if err != nil {
		return o, err
	}
	if len(p.VPCIDs) != 1 {
		return o, fmt.Errorf("invalid value %q for --vpc-id: give one VPC ID (vpc- and 8 or 17 hex digits)", o.vpcID)
	}
	o.services = p.Services
	if o.policyFile != "" {
		b, err := os.ReadFile(o.policyFile)
		if err != nil {
			return o, fmt.Errorf("--policy-file: %w", err)
		}
		o.policy = strings.TrimSpace(string(b))
	}
	return o, nil
}

// runRemediate plans the fix of one VPC, and makes it with --apply or writes it as code.
func runRemediate(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	o, err := parseRemediateArgs(prog, args, stdout)
	if errors.Is(err, errRemediateHelp) {
		return exitOK
	}
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "%s remediate: %s\n", prog, fmt.Sprintf(format, args...))
		return exitFailed
	}
	if err != nil {
		return fail("%v", err)
	}
	var opts []func(*config.LoadOptions) error
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Region == "" {
		err = errNoRegion
	}
	if err != nil {
		return fail("load AWS configuration: %v", err)
	}
	if o.region == "" {
		// Full service names in --service-names are checked against the region now known.
		if o, err = parseRemediateArgs(prog, append(args, "--region", cfg.Region), io.Discard); err != nil {
			return fail("%v", err)
		}
	}
	if o.policy != "" {
		if err := remedy.CheckPolicy(o.policy, o.services, cfg.Region); err != nil {
			return fail("--policy-file %s: %v", o.policyFile, strings.TrimPrefix(err.Error(), remedy.ErrInvalidOptions.Error()+": policy document: "))
		}
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fail("identify the account (sts:GetCallerIdentity): %v", err)
	}
	fixer := vpcFixer{ec2: ec2.NewFromConfig(cfg), zones: zoneReader(cfg), region: cfg.Region, accountID: aws.ToString(who.Account)}
	ro := remedy.Options{Services: o.services, AvailabilityZones: o.azs, PolicyDocument: o.policy, EnableVPCDNS: o.enableVPCDNS}
	plan, err := fixer.plan(ctx, o.vpcID, ro)
	var refusal *remedy.Refusal
	if errors.As(err, &refusal) {
		return fail("%s", refusal.Reason)
	}
	if err != nil {
		return fail("%v", err)
	}

	switch o.output {
	case outputTerraform:
		err = remedy.Terraform(stdout, plan)
	case outputCloudFormation:
		err = remedy.CloudFormation(stdout, plan)
	default:
		if o.apply && plan.Changes() {
			done, aerr := remediate.Apply(ctx, fixer.ec2, plan)
			for _, d := range done {
				fmt.Fprintf(stdout, "%s %s\n", d.Action, d.ResourceID)
			}
			if aerr != nil {
				return fail("%v (the changes above were made; a re-run picks up from there)", aerr)
			}
			fmt.Fprintln(stdout)
		}
		err = remedy.WritePlan(stdout, plan, o.apply)
	}
	if err != nil {
		return fail("write output: %v", err)
	}
	if plan.Changes() && !o.apply {
		return exitFinding
	}
	return exitOK
}

// zoneReader returns a new reader of a VPC's private hosted zones for each plan (a dns.Reader
// serves one invocation), their Route 53 calls paced.
func zoneReader(cfg aws.Config) func() remediate.Zones {
	r53 := route53.NewFromConfig(cfg)
	return func() remediate.Zones {
		return dns.New(dns.Clients{Route53: func() dns.Route53API { return r53 }}, cfg.Region, dns.NewPacer())
	}
}

// vpcFixer plans and makes the fix of VPCs in one account and region.
type vpcFixer struct {
	ec2       remediate.EC2
	zones     func() remediate.Zones
	region    string
	accountID string
}

func (f vpcFixer) plan(ctx context.Context, vpcID string, o remedy.Options) (remedy.Plan, error) {
	services := o.Services
	if len(services) == 0 {
		services = []rule.Service{{Name: rule.DefaultService}}
	}
	facts, err := remediate.Gather(ctx, f.ec2, f.zones(), f.region, f.accountID, vpcID, services)
	if err != nil {
		return remedy.Plan{}, err
	}
	return remedy.Decide(facts, o)
}

// The function's remediation mode: the template sets functionModeEnv on the remediation
// function, which the SSM Automation runbook invokes with a remediationRequest.
const (
	functionModeEnv         = "FUNCTION_MODE"
	functionModeRemediation = "remediation"
	// The rule parameters the remediation function fixes for, as the template passes them.
	remediationServicesEnv = "SERVICE_NAMES"
	remediationAZsEnv      = "MIN_AVAILABILITY_ZONES"
)

// remediationRequest is the payload the runbook sends.
type remediationRequest struct {
	VPCID string `json:"vpcId"`
}

// remediationResponse is what the function answers the runbook.
type remediationResponse struct {
	VPCID   string   `json:"vpcId"`
	Changed bool     `json:"changed"`
	Done    []string `json:"done"`
	Plan    string   `json:"plan"`
}

// remediationHandler fixes the VPC the runbook names, with the rule's services and AZ spread.
// It never turns on VPC DNS attributes and sets no policy: those stay decisions of the VPC's
// owners, and the function refuses (fails) where they are needed.
type remediationHandler struct {
	fixer vpcFixer
	opts  remedy.Options
	log   *slog.Logger
}

// remediationOptions reads the remediation function's environment with rule.ParseParams.
func remediationOptions(getenv func(string) string, region string) (remedy.Options, error) {
	params := map[string]string{}
	if v := getenv(remediationServicesEnv); v != "" {
		params[rule.ParamServiceNames] = v
	}
	if v := getenv(remediationAZsEnv); v != "" {
		params[rule.ParamMinAvailabilityZones] = v
	}
	doc, _ := json.Marshal(params)
	p, err := rule.ParseParams(string(doc), region)
	if err != nil {
		return remedy.Options{}, fmt.Errorf("remediation function environment (%s, %s): %w", remediationServicesEnv, remediationAZsEnv, err)
	}
	o := remedy.Options{Services: p.Services}
	if p.MinAvailabilityZones > 1 {
		o.AvailabilityZones = p.MinAvailabilityZones
	}
	return o, nil
}

// Handle fixes one VPC and answers what it did; an error fails the runbook's step.
func (h remediationHandler) Handle(ctx context.Context, req remediationRequest) (remediationResponse, error) {
	start := time.Now()
	resp := remediationResponse{VPCID: req.VPCID}
	id := strings.TrimSpace(req.VPCID)
	if _, err := rule.ParseParams(fmt.Sprintf(`{%q:%q}`, rule.ParamVPCIDs, id), h.fixer.region); err != nil || id == "" {
		return resp, fmt.Errorf("payload: vpcId %q is not a VPC ID; the runbook passes the rule's RESOURCE_ID", req.VPCID)
	}
	plan, err := h.fixer.plan(ctx, id, h.opts)
	if err == nil && plan.Changes() {
		var done []remediate.Done
		done, err = remediate.Apply(ctx, h.fixer.ec2, plan)
		resp.Changed = len(done) > 0
		for _, d := range done {
			resp.Done = append(resp.Done, d.Action+" "+d.ResourceID)
		}
	}
	if err != nil {
		h.log.ErrorContext(ctx, "remediation failed", slog.String("vpcId", id), slog.Any("done", resp.Done), slog.String("error", err.Error()))
		return resp, err
	}
	var buf bytes.Buffer
	_ = remedy.WritePlan(&buf, plan, true)
	resp.Plan = buf.String()
	h.log.InfoContext(ctx, "remediation done", slog.String("vpcId", id), slog.Bool("changed", resp.Changed),
		slog.Any("done", resp.Done), slog.Int64("durationMs", time.Since(start).Milliseconds()))
	return resp, nil
}

// newRemediationHandler builds the remediation function's handler from its configuration.
func newRemediationHandler(ctx context.Context, cfg aws.Config, log *slog.Logger) (remediationHandler, error) {
	o, err := remediationOptions(os.Getenv, cfg.Region)
	if err != nil {
		return remediationHandler{}, err
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return remediationHandler{}, fmt.Errorf("identify the account (sts:GetCallerIdentity): %w", err)
	}
	return remediationHandler{
		fixer: vpcFixer{ec2: ec2.NewFromConfig(cfg), zones: zoneReader(cfg), region: cfg.Region, accountID: aws.ToString(who.Account)},
		opts:  o,
		log:   log,
	}, nil
}
