package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// defaultParallel is how many targets (account and region pairs) the audit reads at once: enough
// to hide the latency of a region, few enough to stay under the EC2 API's request rates.
const defaultParallel = 8

// auditOptions are the audit command's flags, parsed.
type auditOptions struct {
	region       string   // the home region: STS, Organizations, DescribeRegions, and the default target
	regions      []string // regions to audit; ["all"] for every enabled region of each account
	profile      string
	accounts     []string
	organization bool
	parallel     int
	output       string
	outputFile   string
	// configRuleName is the Config rule's name that the findings of --output asff carry.
	configRuleName string
	rules          *paramFlags
}

// defaultConfigRuleName is the name the templates give the rule, so that the findings of
// --output asff are those the function imports.
const defaultConfigRuleName = "ec2-vpc-endpoint-enabled"

// errAuditHelp is returned by parseAuditArgs for --help, after printing the help.
var errAuditHelp = errors.New("help requested")

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// allRegions is the --regions value for every region enabled in each account.
const allRegions = "all"

// parseAuditArgs reads the audit's flags and checks them, the rule parameters' values included,
// before any AWS call; help goes to stdout.
func parseAuditArgs(prog string, args []string, stdout io.Writer) (auditOptions, error) {
	o := auditOptions{rules: newParamFlags()}
	own := pflag.NewFlagSet("audit", pflag.ContinueOnError)
	own.SortFlags = false
	var regions, accounts string
	own.StringVar(&regions, "regions", "", "regions to audit: `r1,r2`, or all for every region enabled in each account (default: --region)")
	own.StringVar(&o.region, "region", "", "the region of the STS and Organizations calls, and to audit without --regions (default: from the AWS configuration)")
	own.StringVar(&o.profile, "profile", "", "the named profile of the AWS configuration to use")
	own.StringVar(&accounts, "accounts", "", "accounts to audit, `id,id`, each through --role-name (default: the caller's account)")
	own.BoolVar(&o.organization, "organization", false, "audit every active account of the organization (organizations:ListAccounts), each through --role-name")
	own.IntVar(&o.parallel, "parallel", defaultParallel, "targets (account and region) audited at once")
	own.StringVar(&o.output, "output", "table", "output format: "+strings.Join(slices.Sorted(maps.Keys(auditFormats())), ", "))
	own.StringVar(&o.outputFile, "output-file", "", "write the output to this file instead of stdout")
	own.StringVar(&o.configRuleName, "config-rule-name", defaultConfigRuleName, "with --output asff: the Config rule's name, which the findings' Id and GeneratorId carry")
	fs := pflag.NewFlagSet(prog+" audit", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.AddFlagSet(own)
	fs.AddFlagSet(o.rules.fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printAuditHelp(stdout, prog, own, o.rules.fs)
			return o, errAuditHelp
		}
		return o, fmt.Errorf("%w\nRun '%s audit --help' for the flags", err, prog)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if _, ok := auditFormats()[o.output]; !ok {
		return o, fmt.Errorf("invalid value %q for --output: use %s", o.output, strings.Join(slices.Sorted(maps.Keys(auditFormats())), ", "))
	}
	if strings.TrimSpace(o.configRuleName) == "" {
		return o, errors.New("invalid value for --config-rule-name: give the Config rule's name")
	}
	if o.parallel < 1 {
		return o, fmt.Errorf("invalid value %d for --parallel: at least 1", o.parallel)
	}
	if o.region != "" && !regionPattern.MatchString(o.region) {
		return o, fmt.Errorf("invalid value %q for --region: not a region name such as us-east-1", o.region)
	}
	var err error
	if o.regions, err = splitFlagList("regions", regions, func(r string) bool { return r == allRegions || regionPattern.MatchString(r) }, "a region name such as us-east-1, or all"); err != nil {
		return o, err
	}
	if slices.Contains(o.regions, allRegions) && len(o.regions) > 1 {
		return o, errors.New("invalid value for --regions: all stands alone")
	}
	if o.accounts, err = splitFlagList("accounts", accounts, accountIDPattern.MatchString, "a 12-digit account ID"); err != nil {
		return o, err
	}
	p, err := o.rules.params(cmp.Or(o.region, "us-east-1"))
	if err != nil {
		return o, err
	}
	if p.SecurityHubFindings {
		return o, fmt.Errorf("--%s [rule parameter %s] is the function's: the audit imports nothing; --output asff prints the findings instead",
			paramFlagName(rule.ParamSecurityHubFindings), rule.ParamSecurityHubFindings)
	}
	roleFlag := "--" + paramFlagName(rule.ParamExecutionRoleName)
	switch {
	case o.organization && len(o.accounts) > 0:
		return o, errors.New("--accounts and --organization: give one of them")
	case (o.organization || len(o.accounts) > 0) && p.ExecutionRoleName == "":
		return o, fmt.Errorf("--accounts and --organization need %s: the role to assume in each account", roleFlag)
	case !o.organization && len(o.accounts) == 0 && p.ExecutionRoleName != "":
		return o, fmt.Errorf("%s needs --accounts or --organization: the accounts to assume it in", roleFlag)
	}
	return o, nil
}

func printAuditHelp(w io.Writer, prog string, own, rules *pflag.FlagSet) {
	fmt.Fprintf(w, `Usage: %[1]s audit [flags]

Evaluates every VPC of the given accounts and regions with your credentials, as the rule would, and
changes nothing: it only reads (EC2 Describe calls, sts:GetCallerIdentity, sts:AssumeRole with
--role-name, organizations:ListAccounts with --organization).

Exit status: 0 every VPC passes, 1 some VPC is NON_COMPLIANT, 2 some target (an account and
region) could not be audited, after every result that could, or the flags are wrong.

Examples:
  %[1]s audit --region us-east-1
  %[1]s audit --regions all --require-private-dns --output json --output-file audit.json
  %[1]s audit --organization --role-name SecurityAudit --regions us-east-1,eu-west-1 --output csv

Flags:
%[2]s
Rule parameters (each flag stands for the rule parameter of the same meaning and accepts its values):
%[3]s`, prog, own.FlagUsages(), rules.FlagUsages())
}

// splitFlagList splits a comma-separated flag value, each item checked by valid.
func splitFlagList(flag, value string, valid func(string) bool, want string) ([]string, error) {
	if strings.TrimSpace(value) == "" {
		return nil, nil
	}
	var out []string
	for item := range strings.SplitSeq(value, ",") {
		item = strings.TrimSpace(item)
		if !valid(item) {
			return nil, fmt.Errorf("invalid value for --%s: item %q is not %s", flag, item, want)
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out, nil
}

// runAudit audits the targets the flags name and prints the report. It returns the exit code:
// 1 when some VPC is NON_COMPLIANT, 2 when some target failed or the audit could not run.
func runAudit(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	o, err := parseAuditArgs(prog, args, stdout)
	if errors.Is(err, errAuditHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: %v\n", prog, err)
		return exitFailed
	}
	var opts []func(*config.LoadOptions) error
	if o.region != "" {
		opts = append(opts, config.WithRegion(o.region))
	}
	if o.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Region == "" {
		err = errors.New("no AWS region configured: give --region or set AWS_REGION")
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: load AWS configuration: %v\n", prog, err)
		return exitFailed
	}
	// The output file is opened before the audit, so that a path that cannot be written fails
	// at once rather than after every account and region has been read.
	out := stdout
	if o.outputFile != "" {
		f, err := os.Create(o.outputFile)
		if err != nil {
			fmt.Fprintf(stderr, "%s audit: --output-file: %v\n", prog, err)
			return exitFailed
		}
		defer f.Close() // closed, and its error checked, after writing; this is for early returns
		out = f
	}
	a := &auditor{
		cfg:      cfg,
		opts:     o,
		progress: progressFunc(stderr),
		now:      time.Now,
	}
	report, err := a.run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s audit: %v\n", prog, err)
		return exitFailed
	}
	for _, f := range report.Failures {
		fmt.Fprintf(stderr, "%s audit: account %s, region %s: %s\n", prog, f.Account, cmp.Or(f.Region, "-"), f.Error)
	}
	if err := writeReport(o, report, out); err != nil {
		fmt.Fprintf(stderr, "%s audit: write output: %v\n", prog, err)
		return exitFailed
	}
	switch {
	case len(report.Failures) > 0:
		return exitFailed
	case report.Summary.NonCompliant > 0:
		return exitFinding
	}
	return exitOK
}

// writeReport writes the report in the chosen format to w: stdout, or the --output-file, which
// it closes.
func writeReport(o auditOptions, report *auditReport, w io.Writer) error {
	if err := auditFormats()[o.output](w, report); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && o.outputFile != "" {
		return f.Close()
	}
	return nil
}

// progressFunc returns how the audit shows its progress: on stderr when it is a terminal,
// rewriting one line; nowhere otherwise, so that logs and pipes get only the results.
func progressFunc(stderr io.Writer) func(done, total int) {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return func(done, total int) {
		if done == total {
			fmt.Fprint(f, "\r\033[K")
			return
		}
		fmt.Fprintf(f, "\raudit: %d of %d targets done", done, total)
	}
}

// paramFlagName returns the flag of the rule parameter name.
func paramFlagName(name string) string {
	spec, _ := rule.LookupParam(name)
	return spec.Flag
}

// auditConfig returns cfg for region with creds.
func auditConfig(cfg aws.Config, region string, creds aws.CredentialsProvider) aws.Config {
	c := cfg.Copy()
	c.Region = region
	if creds != nil {
		c.Credentials = creds
	}
	return c
}
