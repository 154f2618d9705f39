package main

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/remediate"
)

// Logical IDs of the remediation's resources in template.yaml.
const (
	cfnRemediationFunctionID = "RemediationFunction"
	cfnRemediationRoleID     = "RemediationFunctionRole"
	cfnRemediationLogGroupID = "RemediationLogGroup"
	cfnAutomationRoleID      = "RemediationAutomationRole"
	cfnRunbookID             = "RemediationRunbook"
	cfnRemediationConfigID   = "RuleRemediation"
)

// cfnAccountRegionResources is the Resource of the remediation's create and modify grants: every
// resource of the stack's account and Region, and nothing elsewhere.
const cfnAccountRegionResources = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:*"

func TestTemplateRemediation(t *testing.T) {
	tpl := loadTemplate(t, ruleTemplatePath)
	param := tpl.get("Parameters", "Remediation")
	assert.Equal(t, "None", param.get("Default").str(), "opt-in")
	assert.Equal(t, []string{"None", "Manual", "Automatic"}, param.get("AllowedValues").strs())
	for _, id := range []string{cfnRemediationLogGroupID, cfnRemediationRoleID, cfnRemediationFunctionID, cfnAutomationRoleID, cfnRunbookID, cfnRemediationConfigID} {
		r := tpl.resource(id)
		require.True(t, r.ok(), "resource %s", id)
		assert.Equal(t, "HasRemediation", r.get("Condition").str(), "%s exists only with remediation on", id)
	}

	// The same artifact as the rule's function, in remediation mode.
	fn := tpl.resource(cfnRemediationFunctionID)
	rule := tpl.resource(cfnFunctionID)
	assert.Equal(t, "makefile", fn.get("Metadata", "BuildMethod").str())
	for _, key := range []string{"CodeUri", "Handler", "Runtime"} {
		assert.Equal(t, rule.get("Properties", key).str(), fn.get("Properties", key).str(), key)
	}
	assert.Equal(t, rule.get("Properties", "Architectures").strs(), fn.get("Properties", "Architectures").strs())
	env := fn.get("Properties", "Environment", "Variables")
	assert.Equal(t, functionModeRemediation, env.get(functionModeEnv).str())
	assert.Equal(t, "ServiceNames", cfnRef(env.get(remediationServicesEnv).Node))
	assert.Equal(t, "MinAvailabilityZones", cfnRef(env.get(remediationAZsEnv).Node))
	assert.Equal(t, cfnRemediationRoleID+".Arn", getAtt(fn.get("Properties", "Role").Node))
	assert.Equal(t, cfnRemediationLogGroupID, cfnRef(fn.get("Properties", "LoggingConfig", "LogGroup").Node))
	makefile, err := os.ReadFile(filepath.Join(filepath.Dir(ruleTemplatePath), "Makefile"))
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^build-`+cfnRemediationFunctionID+`:`, string(makefile))

	// The runbook passes the VPC ID to the function as the payload its handler reads.
	doc := tpl.resource(cfnRunbookID).get("Properties")
	assert.Equal(t, "Automation", doc.get("DocumentType").str())
	content := doc.get("Content")
	assert.Equal(t, "{{ AutomationAssumeRole }}", content.get("assumeRole").str())
	assert.True(t, content.get("parameters", "VpcId").ok())
	assert.True(t, content.get("parameters", "AutomationAssumeRole").ok())
	steps := content.get("mainSteps").items()
	require.Len(t, steps, 1)
	assert.Equal(t, "aws:invokeLambdaFunction", steps[0].get("action").str())
	assert.Equal(t, cfnRemediationFunctionID, cfnRef(steps[0].get("inputs", "FunctionName").Node))
	timeout, err := strconv.Atoi(steps[0].get("timeoutSeconds").str())
	require.NoError(t, err)
	fnTimeout, err := strconv.Atoi(fn.get("Properties", "Timeout").str())
	require.NoError(t, err)
	assert.True(t, fnTimeout < timeout && timeout <= 300, "the step (at most 300 s) outlasts the function (%d s, step %d s)", fnTimeout, timeout)
	payload := steps[0].get("inputs", "InputPayload")
	assert.Equal(t, []string{requestField(t, "VPCID")}, payload.keys(), "the payload is what remediationRequest reads")
	assert.Equal(t, "{{ VpcId }}", payload.get(requestField(t, "VPCID")).str())

	// Config passes the evaluated VPC's ID to the runbook.
	rc := tpl.resource(cfnRemediationConfigID).get("Properties")
	assert.Equal(t, "ConfigRule", cfnRef(rc.get("ConfigRuleName").Node))
	assert.Equal(t, "SSM_DOCUMENT", rc.get("TargetType").str())
	assert.Equal(t, cfnRunbookID, cfnRef(rc.get("TargetId").Node))
	assert.Equal(t, "AWS::EC2::VPC", rc.get("ResourceType").str())
	assert.Equal(t, "RESOURCE_ID", rc.get("Parameters", "VpcId", "ResourceValue", "Value").str())
	roles := rc.get("Parameters", "AutomationAssumeRole", "StaticValue", "Values").items()
	require.Len(t, roles, 1)
	assert.Equal(t, cfnAutomationRoleID+".Arn", getAtt(roles[0].Node))
	for _, mode := range []struct {
		name      string
		automatic string
		attempts  string
	}{{"Manual", "false", ""}, {"Automatic", "true", "3"}} {
		s := newCFNStack(t, tpl, map[string]string{"Remediation": mode.name})
		props := s.resolve(tpl.resource(cfnRemediationConfigID).get("Properties"))
		assert.Equal(t, mode.automatic, props.get("Automatic").str(), mode.name)
		assert.Equal(t, mode.attempts, props.get("MaximumAutomaticAttempts").str(), "%s: bounded attempts", mode.name)
	}

	// The runbook's role may only invoke the remediation function, and only SSM of this account
	// may assume it.
	automation := tpl.resource(cfnAutomationRoleID)
	statements := cfnStatements(automation)
	require.Len(t, statements, 1)
	assert.Equal(t, []string{"lambda:InvokeFunction"}, statements[0].actions)
	assert.Equal(t, cfnRemediationFunctionID+".Arn", getAtt(statements[0].node.get("Resource").Node))
	trust := automation.get("Properties", "AssumeRolePolicyDocument", "Statement").items()
	require.Len(t, trust, 1)
	assert.Equal(t, "ssm.amazonaws.com", trust[0].get("Principal", "Service").str())
	assert.Equal(t, "AWS::AccountId", cfnRef(trust[0].get("Condition", "StringEquals", "aws:SourceAccount").Node))

	assert.Empty(t, remediationRoleProblems(tpl.resource(cfnRemediationRoleID)))
}

// requestField returns the JSON name of a remediationRequest field.
func requestField(t *testing.T, field string) string {
	f, ok := reflect.TypeFor[remediationRequest]().FieldByName(field)
	require.True(t, ok)
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// remediationRoleProblems returns how the remediation function's role differs from what its
// code calls, one sentence each: exactly remediationActions, the writes on this account's and
// Region's resources only, tags only on create, and the runtime's logs actions.
func remediationRoleProblems(role cfnNode) []string {
	var problems, granted []string
	writes := remediate.WriteActions(false)
	for _, st := range cfnStatements(role) {
		if st.node.get("Effect").str() != "Allow" || st.node.get("NotAction").ok() || st.node.get("NotResource").ok() {
			problems = append(problems, "statement "+st.sid+" is not a plain Allow")
		}
		for _, a := range st.actions {
			if strings.Contains(a, "*") {
				problems = append(problems, "statement "+st.sid+" grants the wildcard action "+a)
			}
		}
		if st.sid == "Logs" {
			if !slices.Equal(sortedCopy(st.actions), cfnLogsActions) || getAtt(st.node.get("Resource").Node) != cfnRemediationLogGroupID+".Arn" {
				problems = append(problems, "the Logs statement is not the runtime's on "+cfnRemediationLogGroupID)
			}
			continue
		}
		granted = append(granted, st.actions...)
		if slices.ContainsFunc(st.actions, func(a string) bool { return slices.Contains(writes, a) }) {
			if res := subTemplate(st.node.get("Resource").Node); res != cfnAccountRegionResources {
				problems = append(problems, "statement "+st.sid+" writes on "+st.node.get("Resource").str()+res+", not only this account's and Region's resources")
			}
		}
		if slices.Contains(st.actions, remediate.ActionCreateTags) {
			if got := st.node.get("Condition", "StringEquals", "ec2:CreateAction").strs(); !slices.Equal(got, []string{"CreateSecurityGroup", "CreateVpcEndpoint"}) {
				problems = append(problems, "ec2:CreateTags is not limited to what the fix creates (ec2:CreateAction)")
			}
		}
	}
	granted = slices.Compact(sortedCopy(granted))
	want := remediationActions()
	for _, a := range granted {
		if !slices.Contains(want, a) {
			problems = append(problems, "grants "+a+", which the remediation function does not call")
		}
	}
	for _, a := range want {
		if !slices.Contains(granted, a) {
			problems = append(problems, "does not grant "+a+", which the remediation function calls")
		}
	}
	return problems
}

// Each modification of the remediation role is a drift the check above exists to catch.
func TestTemplateRemediationRoleCatchesDrift(t *testing.T) {
	statement := func(tpl cfnNode, sid string) cfnNode {
		for _, st := range cfnStatements(tpl.resource(cfnRemediationRoleID)) {
			if st.sid == sid {
				return st.node
			}
		}
		t.Fatalf("no statement %s", sid)
		return cfnNode{}
	}
	tests := map[string]func(tpl cfnNode){
		"the VPC DNS attributes, which the function never turns on": func(tpl cfnNode) {
			a := statement(tpl, "CreateAndModify").get("Action")
			a.Content = append(a.Content, yamlScalar(remediate.ActionModifyVPCAttribute))
		},
		"a delete the code does not call": func(tpl cfnNode) {
			a := statement(tpl, "CreateAndModify").get("Action")
			a.Content = append(a.Content, yamlScalar("ec2:DeleteVpcEndpoints"))
		},
		"a call the code makes is missing": func(tpl cfnNode) {
			a := statement(tpl, "CreateAndModify").get("Action")
			a.Content = slices.DeleteFunc(a.Content, func(n *yaml.Node) bool { return n.Value == remediate.ActionCreateVPCEndpoint })
		},
		"writes on every account's resources": func(tpl cfnNode) {
			r := statement(tpl, "CreateAndModify").get("Resource")
			r.Tag, r.Value = "!!str", "*"
		},
		"tags on anything": func(tpl cfnNode) {
			st := statement(tpl, "TagOnCreate")
			for i := 0; i+1 < len(st.Content); i += 2 {
				if st.Content[i].Value == "Condition" {
					st.Content = slices.Delete(st.Content, i, i+2)
					break
				}
			}
		},
		"a wildcard": func(tpl cfnNode) {
			for _, n := range statement(tpl, "ReadVpc").get("Action").Content {
				n.Value = "ec2:Describe*"
			}
		},
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			tpl := loadTemplate(t, ruleTemplatePath)
			require.Empty(t, remediationRoleProblems(tpl.resource(cfnRemediationRoleID)), "the template itself must pass")
			mutate(tpl)
			assert.NotEmpty(t, remediationRoleProblems(tpl.resource(cfnRemediationRoleID)))
		})
	}
}
