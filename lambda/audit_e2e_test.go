package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// e2eAuditReport is the audit command's JSON output, as a user's script would read it.
type e2eAuditReport struct {
	Tool struct {
		Version   string `json:"version"`
		GoVersion string `json:"goVersion"`
	} `json:"tool"`
	Time       time.Time         `json:"time"`
	Parameters map[string]string `json:"parameters"`
	Targets    struct {
		Total  int `json:"total"`
		Failed int `json:"failed"`
	} `json:"targets"`
	Results []struct {
		Account    string `json:"account"`
		Region     string `json:"region"`
		VPCID      string `json:"vpcId"`
		VPCARN     string `json:"vpcArn"`
		Name       string `json:"name"`
		IsDefault  bool   `json:"isDefault"`
		Compliance string `json:"compliance"`
		Annotation string `json:"annotation"`
	} `json:"results"`
	Failures []struct {
		Account string `json:"account"`
		Region  string `json:"region"`
		Error   string `json:"error"`
	} `json:"failures"`
	Summary struct {
		VPCs          int `json:"vpcs"`
		Compliant     int `json:"compliant"`
		NonCompliant  int `json:"nonCompliant"`
		NotApplicable int `json:"notApplicable"`
	} `json:"summary"`
}

// verdicts returns each VPC's compliance by "account/region/vpc".
func (r e2eAuditReport) verdicts() map[string]string {
	out := make(map[string]string)
	for _, res := range r.Results {
		out[res.Account+"/"+res.Region+"/"+res.VPCID] = res.Compliance
	}
	return out
}

// targets returns the "account/region" pairs that have results.
func (r e2eAuditReport) targets() []string {
	var out []string
	for _, res := range r.Results {
		if t := res.Account + "/" + res.Region; !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// e2eAudit runs the built binary's audit with a user's environment: test credentials, and EC2,
// STS and Organizations at moto. Config is the fake, to show that the audit never calls it.
func e2eAudit(t *testing.T, r *itestRig, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return e2eAuditEnv(t, r, nil, args...)
}

// e2eAuditEnv is e2eAudit with env (NAME=VALUE) added to the environment, replacing the same name.
func e2eAuditEnv(t *testing.T, r *itestRig, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bootstrap := e2eBootstrap(t)
	cmd := exec.CommandContext(t.Context(), bootstrap, append([]string{"audit"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ENDPOINT_URL_EC2=" + r.moto.URL, "AWS_ENDPOINT_URL_STS=" + r.moto.URL,
		"AWS_ENDPOINT_URL_ORGANIZATIONS=" + r.moto.URL,
		"AWS_ENDPOINT_URL_CONFIG_SERVICE=" + r.config.URL,
	}
	cmd.Env = append(cmd.Env, env...) // later entries win
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	assert.Empty(t, r.config.Calls(), "the audit calls no Config API")
	return out.String(), errOut.String(), code
}

func e2eAuditJSON(t *testing.T, r *itestRig, args ...string) (e2eAuditReport, string, int) {
	t.Helper()
	stdout, stderr, code := e2eAudit(t, r, append(args, "--output", "json")...)
	var report e2eAuditReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &report), "stdout: %s\nstderr: %s", stdout, stderr)
	return report, stderr, code
}

func TestEndToEndAudit(t *testing.T) {
	r := itestSetup(t)
	vpcs := e2eEstate(t, r)
	defaultVPC := r.defaultVPC(t)

	t.Run("non-compliant VPCs fail the audit", func(t *testing.T) {
		r.resetCalls()
		before := time.Now().Add(-time.Second)
		report, stderr, code := e2eAuditJSON(t, r, "--region", itestRegion)
		assert.Equal(t, exitFinding, code, "exit code")
		assert.Empty(t, stderr, "no progress when stderr is not a terminal")
		key := func(id string) string { return itestAccount + "/" + itestRegion + "/" + id }
		assert.Equal(t, map[string]string{
			key(vpcs["compliant"].ID):        "COMPLIANT",
			key(vpcs["no-endpoint"].ID):      "NON_COMPLIANT",
			key(vpcs["ec2messages-only"].ID): "NON_COMPLIANT",
			key(vpcs["endpoint-deleted"].ID): "NON_COMPLIANT",
			key(defaultVPC):                  "NON_COMPLIANT",
		}, report.verdicts())
		assert.Equal(t, 5, report.Summary.VPCs)
		assert.Equal(t, 4, report.Summary.NonCompliant)
		assert.Equal(t, 1, report.Targets.Total)
		for _, res := range report.Results {
			assert.Equal(t, "arn:aws:ec2:"+itestRegion+":"+itestAccount+":vpc/"+res.VPCID, res.VPCARN)
			assert.Equal(t, res.VPCID == defaultVPC, res.IsDefault, res.VPCID)
			if res.VPCID == vpcs["compliant"].ID {
				assert.Equal(t, "compliant", res.Name, "the Name tag")
			}
		}
		// The parameters in effect: each one's default, as the table of parameters gives it.
		assert.Equal(t, "ec2", report.Parameters[rule.ParamServiceNames])
		assert.Equal(t, "1", report.Parameters[rule.ParamMinAvailabilityZones])
		for _, spec := range rule.ParamSpecs() {
			if spec.Default != "" && spec.AliasOf == "" {
				assert.Equal(t, spec.Default, report.Parameters[spec.Name], spec.Name)
			} else {
				assert.NotContains(t, report.Parameters, spec.Name, "not given, no default")
			}
		}
		assert.NotEmpty(t, report.Tool.Version)
		assert.True(t, strings.HasPrefix(report.Tool.GoVersion, "go"), report.Tool.GoVersion)
		assert.WithinRange(t, report.Time, before, time.Now())
		assert.Equal(t, map[string]int{"GetCallerIdentity": 1, "DescribeVpcs": 1, "DescribeVpcEndpoints": 1}, r.moto.Operations())
	})

	t.Run("--vpc-ids shows only those VPCs", func(t *testing.T) {
		report, _, code := e2eAuditJSON(t, r, "--region", itestRegion, "--vpc-ids", vpcs["compliant"].ID)
		assert.Equal(t, exitOK, code, "exit code")
		assert.Equal(t, map[string]string{itestAccount + "/" + itestRegion + "/" + vpcs["compliant"].ID: "COMPLIANT"}, report.verdicts())
		assert.Equal(t, 1, report.Summary.VPCs)
		assert.Equal(t, vpcs["compliant"].ID, report.Parameters["vpcIds"])
	})

	t.Run("flags of the rule parameters change the verdicts", func(t *testing.T) {
		report, _, code := e2eAuditJSON(t, r, "--region="+itestRegion, "--vpc-ids="+vpcs["compliant"].ID, "--min-availability-zones", "3")
		assert.Equal(t, exitFinding, code)
		require.Len(t, report.Results, 1)
		assert.Equal(t, "NON_COMPLIANT", report.Results[0].Compliance)
		assert.Contains(t, report.Results[0].Annotation, "spans 2 AZs (needs 3)")
	})

	t.Run("table and csv", func(t *testing.T) {
		stdout, _, code := e2eAudit(t, r, "--region", itestRegion)
		assert.Equal(t, exitFinding, code)
		assert.Regexp(t, `^VPC +NAME +COMPLIANCE +ANNOTATION\n`, stdout, "one target: no account and region columns")
		assert.Regexp(t, defaultVPC+` +\(default\) +NON_COMPLIANT`, stdout)
		assert.Contains(t, stdout, itestRegion+", account "+itestAccount+": 5 VPCs, 1 compliant, 4 non-compliant, 0 not applicable")

		file := filepath.Join(t.TempDir(), "audit.csv")
		stdout, _, code = e2eAudit(t, r, "--region", itestRegion, "--output=csv", "--output-file", file)
		assert.Equal(t, exitFinding, code)
		assert.Empty(t, stdout, "the output goes to the file")
		f, err := os.Open(file)
		require.NoError(t, err)
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 6)
		assert.Equal(t, []string{"account", "region", "vpc_id", "vpc_arn", "name", "is_default", "compliance", "annotation"}, rows[0])
	})

	t.Run("asff: the findings the function imports", func(t *testing.T) {
		r.resetCalls()
		stdout, stderr, code := e2eAudit(t, r, "--region", itestRegion, "--output", "asff", "--config-rule-name", itestRuleName)
		assert.Equal(t, exitFinding, code, "stderr: %s", stderr)
		assert.NotContains(t, stdout, "null", "clean ASFF, no null members")
		assert.Empty(t, r.hub.Calls(), "the audit calls no Security Hub API")
		var printed []shtypes.AwsSecurityFinding
		require.NoError(t, json.Unmarshal([]byte(stdout), &printed))
		require.Len(t, printed, 5)

		// What a user does with them: import them. The strict fake takes every one.
		userHub := localaws.StartSecurityHub(itestAccount, itestRegion)
		defer userHub.Stop()
		client := localaws.SecurityHubClient(itestAWSConfig(t), userHub.URL)
		res, err := client.BatchImportFindings(t.Context(), &securityhub.BatchImportFindingsInput{Findings: printed})
		require.NoError(t, err)
		assert.Empty(t, res.FailedFindings)

		// The function's sweep makes the same findings: same Ids, same words.
		require.NoError(t, r.h.Handle(t.Context(), itestScheduled(t, itestSweepTime, itestFindingsParams)))
		summary := func(fs []localaws.Finding) map[string]string {
			m := map[string]string{}
			for _, f := range fs {
				m[f.ID] = f.Title + " | " + f.Description + " | " + f.ComplianceStatus + " | " + f.ResourceID
			}
			return m
		}
		assert.Equal(t, summary(r.hub.Stored()), summary(userHub.Stored()))
	})

	t.Run("an --output-file that cannot be written fails before any call", func(t *testing.T) {
		r.resetCalls()
		file := filepath.Join(t.TempDir(), "no-such-dir", "audit.csv")
		stdout, stderr, code := e2eAudit(t, r, "--region", itestRegion, "--output", "csv", "--output-file", file)
		assert.Equal(t, exitFailed, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "audit: --output-file: open "+file+": no such file or directory")
		assert.Empty(t, r.moto.Operations(), "nothing read for output that would be lost")
	})
}

// TestEndToEndAuditAccountsAndRegions audits several accounts and regions on one moto, whose
// AssumeRole credentials act in the role's account.
func TestEndToEndAuditAccountsAndRegions(t *testing.T) {
	r := itestSetup(t)
	const a1, a2 = "111111111111", "222222222222"
	regions := []string{"eu-west-1", "us-east-1"}

	t.Run("accounts through a role, regions listed", func(t *testing.T) {
		r.resetCalls()
		report, stderr, code := e2eAuditJSON(t, r, "--region", itestRegion, "--regions", "us-east-1,eu-west-1",
			"--accounts", a1+","+a2+","+itestAccount, "--role-name", "Auditor", "--parallel", "3")
		assert.Equal(t, exitFinding, code, stderr)
		var want []string
		for _, a := range []string{a1, a2, itestAccount} {
			for _, region := range regions {
				want = append(want, a+"/"+region)
			}
		}
		slices.Sort(want)
		assert.Equal(t, want, report.targets(), "each account's default VPC in each region")
		assert.Equal(t, 6, report.Targets.Total)
		for _, res := range report.Results {
			assert.True(t, strings.HasPrefix(res.VPCARN, "arn:aws:ec2:"+res.Region+":"+res.Account+":vpc/"), res.VPCARN)
		}
		// The caller's own account is read with its own credentials: two roles assumed.
		assert.Equal(t, map[string]int{"GetCallerIdentity": 1, "AssumeRole": 2, "DescribeVpcs": 6, "DescribeVpcEndpoints": 6}, r.moto.Operations())
		for _, c := range r.moto.Calls() {
			if c.Op == "AssumeRole" {
				arn := c.Input.(interface{ Get(string) string }).Get("RoleArn")
				assert.Regexp(t, `^arn:aws:iam::(111111111111|222222222222):role/Auditor$`, arn)
			}
		}
	})

	t.Run("every enabled region", func(t *testing.T) {
		cfg, err := localaws.AWSConfig(t.Context(), itestRegion)
		require.NoError(t, err)
		out, err := localaws.EC2Client(cfg, r.moto.ServerURL).DescribeRegions(t.Context(), &ec2.DescribeRegionsInput{})
		require.NoError(t, err)
		var want []string
		for _, reg := range out.Regions {
			want = append(want, a1+"/"+aws.ToString(reg.RegionName))
		}
		slices.Sort(want)
		require.Greater(t, len(want), 3)

		r.resetCalls()
		report, stderr, code := e2eAuditJSON(t, r, "--region", itestRegion, "--regions", "all", "--accounts", a1, "--role-name", "Auditor")
		assert.Equal(t, exitFinding, code, stderr)
		assert.Equal(t, want, report.targets())
		ops := r.moto.Operations()
		assert.Equal(t, 1, ops["DescribeRegions"], "one listing of the account's regions")
		assert.Equal(t, len(want), ops["DescribeVpcs"])
	})

	t.Run("the organization's active accounts", func(t *testing.T) {
		cfg, err := localaws.AWSConfig(t.Context(), itestRegion)
		require.NoError(t, err)
		org := organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(r.moto.ServerURL) })
		_, err = org.CreateOrganization(t.Context(), &organizations.CreateOrganizationInput{})
		require.NoError(t, err)
		members := map[string]bool{itestAccount: true}
		for _, name := range []string{"dev", "prod"} {
			out, err := org.CreateAccount(t.Context(), &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
			require.NoError(t, err)
			members[aws.ToString(out.CreateAccountStatus.AccountId)] = true
		}

		r.resetCalls()
		report, stderr, code := e2eAuditJSON(t, r, "--region", itestRegion, "--organization", "--role-name", "Auditor")
		assert.Equal(t, exitFinding, code, stderr)
		var want []string
		for a := range members {
			want = append(want, a+"/"+itestRegion)
		}
		slices.Sort(want)
		assert.Equal(t, want, report.targets())
		ops := r.moto.Operations()
		assert.Equal(t, 1, ops["ListAccounts"])
		assert.Equal(t, len(members)-1, ops["AssumeRole"], "every account but the caller's own")
	})

	t.Run("a failing target is reported and does not stop the others", func(t *testing.T) {
		r.resetCalls()
		r.moto.OnCall(func(op string, _ int) *localaws.Fault {
			if op == "AssumeRole" {
				return &localaws.Fault{Code: "AccessDenied", Status: 403, Message: "not authorized to perform sts:AssumeRole"}
			}
			return nil
		})
		t.Cleanup(func() { r.moto.OnCall(nil) })
		report, stderr, code := e2eAuditJSON(t, r, "--region", itestRegion, "--accounts", a1+","+itestAccount, "--role-name", "Auditor")
		assert.Equal(t, exitFailed, code, "a target failed")
		assert.Equal(t, []string{itestAccount + "/" + itestRegion}, report.targets(), "the caller's account is still audited")
		require.Len(t, report.Failures, 1)
		assert.Equal(t, a1, report.Failures[0].Account)
		assert.Contains(t, report.Failures[0].Error, "assume role arn:aws:iam::"+a1+":role/Auditor: sts:AssumeRole: access denied")
		assert.Equal(t, 2, report.Targets.Total)
		assert.Equal(t, 1, report.Targets.Failed)
		assert.Contains(t, stderr, "audit: account "+a1+", region -: assume role")

		stdout, _, code := e2eAudit(t, r, "--region", itestRegion, "--accounts", a1+","+itestAccount, "--role-name", "Auditor")
		assert.Equal(t, exitFailed, code)
		assert.Regexp(t, `^ACCOUNT +REGION +VPC +NAME +COMPLIANCE +ANNOTATION\n`, stdout, "several targets: account and region columns")
		assert.Contains(t, stdout, "1 of 2 targets could not be audited")
	})

	t.Run("a named profile", func(t *testing.T) {
		dir := t.TempDir()
		config := filepath.Join(dir, "config")
		require.NoError(t, os.WriteFile(config, []byte("[profile audit]\nregion = eu-west-1\naws_access_key_id = test\naws_secret_access_key = test\n"), 0o600))
		r.resetCalls()
		stdout, stderr, code := e2eAuditEnv(t, r, []string{"AWS_CONFIG_FILE=" + config, "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="},
			"--profile", "audit", "--output", "json")
		assert.Equal(t, exitFinding, code, stderr)
		var report e2eAuditReport
		require.NoError(t, json.Unmarshal([]byte(stdout), &report), stderr)
		assert.Equal(t, []string{itestAccount + "/eu-west-1"}, report.targets(), "the profile's region")
	})

	t.Run("flags that need each other", func(t *testing.T) {
		for args, want := range map[string]string{
			"--accounts " + a1:    "--accounts and --organization need --role-name",
			"--role-name Auditor": "--role-name needs --accounts or --organization",
			"--organization --accounts " + a1 + " --role-name R": "--accounts and --organization: give one of them",
			"--accounts 12345 --role-name R":                     `invalid value for --accounts: item "12345" is not a 12-digit account ID`,
			"--regions us-east-1,all":                            "all stands alone",
			"--regions us-east-1,Mars":                           `invalid value for --regions: item "Mars" is not a region name`,
			"--parallel 0":                                       "invalid value 0 for --parallel",
		} {
			r.resetCalls()
			_, stderr, code := e2eAudit(t, r, strings.Fields(args)...)
			assert.Equal(t, exitFailed, code, args)
			assert.Contains(t, stderr, want, args)
			assert.Empty(t, r.moto.Operations(), "%s: refused before any call", args)
		}
	})
}
