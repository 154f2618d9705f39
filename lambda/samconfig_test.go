package main

import (
	"os"
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

	regions := 0
	for section, keys := range cfg {
		env, ok := strings.CutSuffix(section, ".global.parameters")
		if !ok || !strings.HasPrefix(env, "organization-") {
			continue
		}
		regions++
		region := strings.TrimPrefix(env, "organization-")
		assert.Equal(t, region, keys["region"], section)
		assert.Equal(t, "ec2-vpc-endpoint-rule-organization", keys["stack_name"], section)
		deploy := cfg[env+".deploy.parameters"]
		assert.Equal(t, build["build_dir"]+"/template.yaml", deploy["template_file"], "%s deploys the organization build", env)
		assert.NotContains(t, deploy, "capabilities", "%s: the regional stack creates no IAM", env)
		assert.NotContains(t, deploy, "stack_name", "%s: one stack name, in the global section", env)
	}
	assert.NotZero(t, regions, "an organization-<region> environment as the example")

	// The README's loop writes exactly the shipped example's sections for each region.
	readme, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)cat >> deploy/samconfig\.toml <<EOF\n(.*?)\n\s*EOF\n`).FindSubmatch(readme)
	require.NotNil(t, m, "the README's loop that writes a region's environment")
	written := samSections(t, strings.ReplaceAll(string(m[1]), "$r", "us-east-1"))
	for section, keys := range written {
		assert.Equal(t, cfg[section], keys, "README writes %s as shipped", section)
	}
	assert.Len(t, written, 2)
}
