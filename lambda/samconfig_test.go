package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	samconfigPath = "../deploy/samconfig.toml"
	readmePath    = "../README.md"
)

// samSections reads the flat TOML of a samconfig file (section headers and key = value lines,
// which is all deploy/samconfig.toml holds) into section -> key -> value, values unquoted.
func samSections(t *testing.T, text string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	var section string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			key, value, ok := strings.Cut(line, "=")
			require.True(t, ok, "line %d: %q is neither a section nor key = value", i+1, line)
			if section == "" {
				continue // version = 0.1
			}
			out[section][strings.TrimSpace(key)] = strings.Trim(strings.TrimSpace(value), `"`)
		}
	}
	return out
}

// SAM CLI reads a command's defaults from [<env>.<command>.parameters] and
// [<env>.global.parameters] only (ConfigProvider(section="parameters"), keyed by the command's
// name): sam delete never reads the deploy section, so the stack name must be global.
func TestSamconfig(t *testing.T) {
	data, err := os.ReadFile(samconfigPath)
	require.NoError(t, err)
	cfg := samSections(t, string(data))

	assert.Equal(t, "ec2-vpc-endpoint-rule", cfg["default.global.parameters"]["stack_name"], "sam delete --config-file deploy/samconfig.toml")
	assert.Equal(t, "template.yaml", cfg["default.build.parameters"]["template_file"])
	assert.NotContains(t, cfg["default.deploy.parameters"], "template_file", "the default build directory's template")

	build := cfg["organization.build.parameters"]
	assert.Equal(t, "deploy/organization.yaml", build["template_file"])
	require.NotEmpty(t, build["build_dir"], "the organization build has its own directory")
	assert.NotEqual(t, ".aws-sam/build", build["build_dir"])

	// The README's loop, run by bash as written (sam stubbed, placeholders filled) on a copy of
	// the file, twice: it appends each region's environment once, and deploys every region.
	readme, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)\n\s*(REGIONS=.*?\n\s*done)\n`).FindSubmatch(readme)
	require.NotNil(t, m, "the README's loop over the regions")
	loop := regexp.MustCompile(`(?m)^   `).ReplaceAllString(string(m[1]), "") // the list item's indent
	const roleARN = "arn:aws:iam::111122223333:role/ec2-vpc-endpoint-rule-function"
	for _, excluded := range []string{"", "444455556666,777788889999"} {
		dir := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(dir, "deploy"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, samconfigPath[len("../"):]), data, 0o644))
		script := "set -e\nsam() { echo \"sam $*\" >> calls; }\n" + strings.NewReplacer(
			"arn:aws:iam::<ADMIN_ACCOUNT>:role/ec2-vpc-endpoint-rule-function", roleARN,
			"<MANAGEMENT_ACCOUNT>", excluded,
		).Replace(loop)
		for range 2 {
			cmd := exec.CommandContext(t.Context(), "bash", "-c", script)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
		}
		calls, err := os.ReadFile(filepath.Join(dir, "calls"))
		require.NoError(t, err)
		written, err := os.ReadFile(filepath.Join(dir, "deploy", "samconfig.toml"))
		require.NoError(t, err)
		after := samSections(t, string(written))

		var deploys []string
		for _, call := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
			if strings.HasPrefix(call, "sam deploy ") {
				deploys = append(deploys, call)
			} else {
				assert.Equal(t, "sam build --config-file deploy/samconfig.toml --config-env organization", call)
			}
		}
		regions := strings.Fields(regexp.MustCompile(`REGIONS="([^"]*)"`).FindStringSubmatch(loop)[1])
		require.Len(t, deploys, 2*len(regions))
		assert.Len(t, after, len(cfg)+2*len(regions), "each region's two sections, appended once")
		for i, region := range regions {
			env := "organization-" + region
			assert.Equal(t, "sam deploy --config-file deploy/samconfig.toml --config-env "+env, deploys[i])
			global := after[env+".global.parameters"]
			assert.Equal(t, region, global["region"], env)
			assert.Equal(t, "ec2-vpc-endpoint-rule-organization", global["stack_name"], "%s: where sam delete reads it", env)
			deploy := after[env+".deploy.parameters"]
			assert.Equal(t, build["build_dir"]+"/template.yaml", deploy["template_file"], "%s deploys the organization build", env)
			overrides := "FunctionRoleArn=" + roleARN
			if excluded != "" {
				overrides += " ExcludedAccounts=" + excluded
			}
			assert.Equal(t, overrides, deploy["parameter_overrides"], env)
			assert.NotContains(t, deploy, "capabilities", "%s: the regional stack creates no IAM", env)
			assert.NotContains(t, deploy, "stack_name", "%s: one stack name, in the global section", env)
		}
	}
}
