package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// runCLIForTest runs the command line as the binary would, with args after the program name.
func runCLIForTest(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runCLI(t.Context(), append([]string{"/opt/bin/ec2-vpce-rule"}, args...), &out, &errOut)
	return out.String(), errOut.String(), code
}

func TestCLIUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"help"}, {"-h"}, {"--help"}} {
		t.Run(strings.Join(append([]string{"args"}, args...), " "), func(t *testing.T) {
			stdout, stderr, code := runCLIForTest(t, args...)
			assert.Equal(t, exitOK, code)
			assert.Empty(t, stderr)
			assert.Contains(t, stdout, "Usage: ec2-vpce-rule <command>", "help uses the binary's name")
			for _, c := range commands() {
				assert.Regexp(t, `(?m)^  `+c.name+` `, stdout, "usage lists %s", c.name)
			}
		})
	}
	t.Run("unknown command", func(t *testing.T) {
		stdout, stderr, code := runCLIForTest(t, "audits")
		assert.Equal(t, exitFailed, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, `unknown command "audits"`)
		assert.Contains(t, stderr, "Usage: ec2-vpce-rule <command>")
	})
	t.Run("help of a command", func(t *testing.T) {
		stdout, _, code := runCLIForTest(t, "help", "audit")
		assert.Equal(t, exitOK, code)
		assert.Contains(t, stdout, "Usage: ec2-vpce-rule audit [flags]")
	})
}

func TestCLIVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		stdout, stderr, code := runCLIForTest(t, args...)
		assert.Equal(t, exitOK, code)
		assert.Empty(t, stderr)
		assert.Regexp(t, `^ec2-vpc-endpoint-rule \S+ .*`+regexpQuote(runtime.Version())+` `+runtime.GOOS+`/`+runtime.GOARCH+"\n$", stdout)
	}
	old := version
	t.Cleanup(func() { version = old })
	version = "v1.2.3"
	stdout, _, _ := runCLIForTest(t, "version")
	assert.True(t, strings.HasPrefix(stdout, "ec2-vpc-endpoint-rule v1.2.3 "), "the version set at build time wins: %s", stdout)

	_, stderr, code := runCLIForTest(t, "version", "extra")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, `unexpected argument "extra"`)
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }

// TestAuditHasAFlagForEveryParameter holds the audit's flags to the rule's parameters: each
// parameter but an alias has its flag, and help lists it.
func TestAuditHasAFlagForEveryParameter(t *testing.T) {
	help, _, code := runCLIForTest(t, "audit", "--help")
	require.Equal(t, exitOK, code)
	pf := newParamFlags()
	for _, name := range rule.ParamNames() {
		spec, ok := rule.LookupParam(name)
		require.True(t, ok)
		if spec.AliasOf != "" {
			continue
		}
		f := pf.fs.Lookup(spec.Flag)
		require.NotNil(t, f, "rule parameter %s has no flag", name)
		assert.Contains(t, help, "--"+spec.Flag, "help lists --%s", spec.Flag)
		assert.Equal(t, spec.Default, f.DefValue, "--%s shows the parameter's default", spec.Flag)
	}
}

func TestAuditFlagForms(t *testing.T) {
	const vpc = "vpc-0a1b2c3d"
	tests := []struct {
		name string
		args []string
		want map[string]string // the ruleParameters the flags stand for
	}{
		{"none", nil, map[string]string{}},
		{"flag value", []string{"--vpc-ids", vpc}, map[string]string{rule.ParamVPCIDs: vpc}},
		{"flag=value", []string{"--vpc-ids=" + vpc}, map[string]string{rule.ParamVPCIDs: vpc}},
		{"boolean alone", []string{"--require-private-dns"}, map[string]string{rule.ParamRequirePrivateDNS: "true"}},
		{"boolean=false", []string{"--require-private-dns=false"}, map[string]string{rule.ParamRequirePrivateDNS: "false"}},
		{"boolean=true", []string{"--forbid-full-access-policy=true"}, map[string]string{rule.ParamForbidFullAccessPolicy: "true"}},
		{"number", []string{"--min-availability-zones", "2"}, map[string]string{rule.ParamMinAvailabilityZones: "2"}},
		{"number=", []string{"--min-availability-zones=3"}, map[string]string{rule.ParamMinAvailabilityZones: "3"}},
		{"last wins", []string{"--exempt-tag", "a", "--exempt-tag=b=c"}, map[string]string{rule.ParamExemptTag: "b=c"}},
		{"list", []string{"--service-names", "ec2, ecr.api"}, map[string]string{rule.ParamServiceNames: "ec2, ecr.api"}},
		{"tag key and value holding =", []string{"--exempt-tag-key", "a=b", "--exempt-tag-value=c=d"}, map[string]string{rule.ParamExemptTagKey: "a=b", rule.ParamExemptTagValue: "c=d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseAuditArgs("bootstrap", tt.args, nil)
			require.NoError(t, err)
			want, err := rule.ParseParams(mustJSON(t, tt.want), "us-east-1")
			require.NoError(t, err)
			got, err := o.rules.params("us-east-1")
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestAuditFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"number out of range", []string{"--min-availability-zones", "0"}, `invalid value for --min-availability-zones [rule parameter minAvailabilityZones]: "0" is not a whole number from 1 to 32`},
		{"boolean not true or false", []string{"--require-private-dns=yes"}, `invalid value for --require-private-dns [rule parameter requirePrivateDns]: "yes" is not true or false`},
		{"bad VPC ID", []string{"--vpc-ids=vpc-1,vpc-0a1b2c3d"}, `invalid value for --vpc-ids [rule parameter vpcIds]: item "vpc-1" is not a VPC ID`},
		{"bad role name", []string{"--role-name", "a/b"}, `invalid value for --role-name [rule parameter executionRoleName]`},
		// The flag means what its parameter means: serviceNames "" is an error, not the default.
		{"empty service names", []string{"--service-names", ""}, `invalid value for --service-names [rule parameter serviceNames]: must name at least one service`},
		{"empty service names with =", []string{"--service-names="}, `invalid value for --service-names [rule parameter serviceNames]: must name at least one service`},
		{"service name of an unknown form", []string{"--service-names", "aws.api.us-east-1.qbusiness"}, `invalid value for --service-names [rule parameter serviceNames]: "aws.api.us-east-1.qbusiness" is not a full service name the rule knows`},
		{"exempt tag named twice", []string{"--exempt-tag", "k", "--exempt-tag-key", "k"}, `invalid value for --exempt-tag [rule parameter exemptTag]: and exemptTagKey/exemptTagValue name the same tag`},
		{"unknown flag", []string{"--bogus"}, "unknown flag: --bogus"},
		{"missing value", []string{"--vpc-ids"}, "flag needs an argument: --vpc-ids"},
		{"single dash long flag", []string{"-region", "us-east-1"}, "unknown shorthand flag: 'r' in -region"},
		{"argument", []string{"us-east-1"}, `unexpected argument "us-east-1"`},
		{"output", []string{"--output", "yaml"}, `invalid value "yaml" for --output`},
		{"the function's parameter", []string{"--security-hub-findings"}, "--security-hub-findings [rule parameter securityHubFindings] is the function's: the audit imports nothing; --output asff prints the findings instead"},
		{"empty rule name", []string{"--output", "asff", "--config-rule-name", ""}, "invalid value for --config-rule-name: give the Config rule's name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCLIForTest(t, append([]string{"audit"}, tt.args...)...)
			assert.Equal(t, exitFailed, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, "ec2-vpce-rule audit: "+tt.want)
		})
	}
}

// TestCLIBinary runs the built binary outside Lambda, as a user does.
func TestCLIBinary(t *testing.T) {
	bin := e2eBootstrap(t)
	run := func(t *testing.T, env []string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), bin, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return stdout.String(), stderr.String(), exit.ExitCode()
		}
		require.NoError(t, err)
		return stdout.String(), stderr.String(), 0
	}
	// No AWS configuration at all: usage and version need none.
	env := []string{"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true"}

	stdout, stderr, code := run(t, env)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Usage: bootstrap <command> [flags]")
	assert.Contains(t, stdout, "  audit ")
	assert.Contains(t, stdout, "  version ")

	stdout, _, code = run(t, env, "version")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, runtime.Version())

	_, stderr, code = run(t, env, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)

	_, stderr, code = run(t, env, "audit", "--min-availability-zones=33")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--min-availability-zones [rule parameter minAvailabilityZones]")

	_, stderr, code = run(t, env, "audit", "--region", "us-east-1")
	assert.Equal(t, 2, code, "no credentials: the audit cannot run")
	assert.Contains(t, stderr, "bootstrap audit: ")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestAuditProgressOnlyOnATerminal: progress goes to stderr only when it is a terminal, so pipes,
// files and CI logs get nothing but the results.
func TestAuditProgressOnlyOnATerminal(t *testing.T) {
	assert.Nil(t, progressFunc(&bytes.Buffer{}), "not a file")
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	require.NoError(t, err)
	defer f.Close()
	assert.Nil(t, progressFunc(f), "a regular file")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.Nil(t, progressFunc(w), "a pipe")
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer null.Close()
	assert.Nil(t, progressFunc(null), "a character device that is not a terminal")
}
