package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// The deployment templates, relative to this package. These tests hold them against the code:
// the IAM actions in iam.go and the rule parameters rule.ParamNames accepts.
const (
	ruleTemplatePath         = "../template.yaml"
	organizationTemplatePath = "../deploy/organization.yaml"
	memberRoleTemplatePath   = "../deploy/member-role.yaml"
)

// Logical IDs the tests and the Makefile (target build-RuleFunction) rely on.
const (
	cfnFunctionID     = "RuleFunction"
	cfnFunctionRoleID = "RuleFunctionRole"
	cfnPermissionID   = "RuleFunctionPermission"
	cfnLogGroupID     = "RuleLogGroup"
)

// The two runtime statements every function role carries besides what the code calls.
var cfnLogsActions = []string{"logs:CreateLogStream", "logs:PutLogEvents"}

func TestTemplateFunction(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		codeURI string
	}{
		{name: "single account", path: ruleTemplatePath, codeURI: "."},
		{name: "organization", path: organizationTemplatePath, codeURI: ".."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := loadTemplate(t, tt.path)
			fn := tpl.resource(cfnFunctionID)
			require.True(t, fn.ok(), "resource %s", cfnFunctionID)
			assert.Equal(t, "AWS::Serverless::Function", fn.get("Type").str())
			assert.Equal(t, "makefile", fn.get("Metadata", "BuildMethod").str())

			props := fn.get("Properties")
			assert.Equal(t, "provided.al2023", props.get("Runtime").str())
			assert.Equal(t, []string{"arm64"}, props.get("Architectures").strs())
			assert.Equal(t, "bootstrap", props.get("Handler").str())
			assert.Equal(t, "128", props.get("MemorySize").str())
			assert.Equal(t, tt.codeURI, props.get("CodeUri").str())
			timeout, err := strconv.Atoi(props.get("Timeout").str())
			require.NoError(t, err, "Timeout")
			assert.True(t, timeout >= 60 && timeout <= 900, "Timeout %d s: a sweep needs minutes, Lambda allows 900 s", timeout)

			// The role is all the function gets: SAM's Policies would add to it.
			assert.False(t, props.get("Policies").ok(), "Policies on the function")
			assert.Equal(t, cfnFunctionRoleID+".Arn", getAtt(props.get("Role").Node))

			assert.Equal(t, "LogLevel", cfnRef(props.get("Environment", "Variables", "LOG_LEVEL").Node))
			logLevel := tpl.get("Parameters", "LogLevel")
			assert.Equal(t, []string{"DEBUG", "INFO", "WARN", "ERROR"}, logLevel.get("AllowedValues").strs())
			assert.Equal(t, "INFO", logLevel.get("Default").str())

			// The log group is the function's own: /aws/lambda/<function name>, kept for LogRetentionInDays.
			assert.Equal(t, cfnLogGroupID, cfnRef(props.get("LoggingConfig", "LogGroup").Node))
			assert.Equal(t, "RuleName", cfnRef(props.get("FunctionName").Node))
			logGroup := tpl.resource(cfnLogGroupID)
			assert.Equal(t, "AWS::Logs::LogGroup", logGroup.get("Type").str())
			assert.Equal(t, "/aws/lambda/${RuleName}", subTemplate(logGroup.get("Properties", "LogGroupName").Node))
			assert.Equal(t, "LogRetentionInDays", cfnRef(logGroup.get("Properties", "RetentionInDays").Node))
			assert.Equal(t, "30", tpl.get("Parameters", "LogRetentionInDays", "Default").str())

			// sam build runs `make build-<logical ID>` in CodeUri.
			makefile, err := os.ReadFile(filepath.Join(filepath.Dir(tt.path), tt.codeURI, "Makefile"))
			require.NoError(t, err)
			assert.Regexp(t, `(?m)^build-`+cfnFunctionID+`:`, string(makefile))
		})
	}
}

func TestTemplatePermission(t *testing.T) {
	tests := []struct {
		name          string
		path          string
		ruleID        string
		sourceAccount string // "" when the permission must not name one
	}{
		{name: "single account", path: ruleTemplatePath, ruleID: "ConfigRule", sourceAccount: "AWS::AccountId"},
		// Config invokes from every account of the organization; see the comment in the template.
		{name: "organization", path: organizationTemplatePath, ruleID: "OrganizationRule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := loadTemplate(t, tt.path)
			perm := tpl.resource(cfnPermissionID)
			require.True(t, perm.ok(), "resource %s", cfnPermissionID)
			props := perm.get("Properties")
			assert.Equal(t, "AWS::Lambda::Permission", perm.get("Type").str())
			assert.Equal(t, "config.amazonaws.com", props.get("Principal").str())
			assert.Equal(t, "lambda:InvokeFunction", props.get("Action").str())
			assert.Equal(t, cfnFunctionID+".Arn", getAtt(props.get("FunctionName").Node))
			assert.Equal(t, tt.sourceAccount, cfnRef(props.get("SourceAccount").Node))
			assert.False(t, props.get("SourceArn").ok(), "SourceArn: a cycle with the rule")

			// Config checks the permission when it creates the rule.
			configRule := tpl.resource(tt.ruleID)
			require.True(t, configRule.ok(), "resource %s", tt.ruleID)
			assert.Contains(t, configRule.get("DependsOn").strs(), cfnPermissionID)
		})
	}
}

// A function that keeps failing puts nothing, and Config keeps its old results: an alarm on the
// function's Errors says so, notifying AlarmTopicArn when one is given.
func TestTemplateErrorsAlarm(t *testing.T) {
	for _, path := range []string{ruleTemplatePath, organizationTemplatePath} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			tpl := loadTemplate(t, path)
			alarm := tpl.resource("RuleErrorsAlarm")
			require.True(t, alarm.ok(), "resource RuleErrorsAlarm")
			assert.Equal(t, "AWS::CloudWatch::Alarm", alarm.get("Type").str())
			props := alarm.get("Properties")
			assert.Equal(t, "AWS/Lambda", props.get("Namespace").str())
			assert.Equal(t, "Errors", props.get("MetricName").str())
			dims := props.get("Dimensions").items()
			require.Len(t, dims, 1)
			assert.Equal(t, "FunctionName", dims[0].get("Name").str())
			assert.Equal(t, cfnFunctionID, cfnRef(dims[0].get("Value").Node), "the alarm watches this function")
			assert.Equal(t, "Sum", props.get("Statistic").str())
			assert.Equal(t, "GreaterThanOrEqualToThreshold", props.get("ComparisonOperator").str())
			assert.Equal(t, "notBreaching", props.get("TreatMissingData").str(), "no invocations is no failure")

			for _, key := range []string{"AlarmActions", "OKActions"} {
				name, arg := intrinsic(props.get(key).Node)
				require.Equal(t, "Fn::If", name, key)
				require.Len(t, arg.Content, 3, key)
				assert.Equal(t, "HasAlarmTopic", arg.Content[0].Value, key)
				then := cfnNode{arg.Content[1]}.items()
				require.Len(t, then, 1, key)
				assert.Equal(t, "AlarmTopicArn", cfnRef(then[0].Node), key)
				assert.Equal(t, "AWS::NoValue", cfnRef(arg.Content[2]), key)
			}
			assert.Equal(t, "", tpl.get("Parameters", "AlarmTopicArn", "Default").str(), "no topic unless given")
		})
	}
}

func TestTemplateRoles(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		roleID string
		want   cfnRoleWant
	}{
		{
			name: "single account", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: true, assumeRole: "HasExecutionRole"},
		},
		{
			name: "organization function", path: organizationTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{logs: true, assumeRole: cfnAssumeAlways},
		},
		{
			name: "member account", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want: cfnRoleWant{evaluation: evaluationActions()},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := loadTemplate(t, tt.path)
			role := tpl.resource(tt.roleID)
			require.True(t, role.ok(), "resource %s", tt.roleID)
			assert.Equal(t, "AWS::IAM::Role", role.get("Type").str())
			assert.Empty(t, roleProblems(role, tt.want))
		})
	}
}

func TestTemplateMemberRoleTrust(t *testing.T) {
	member := loadTemplate(t, memberRoleTemplatePath)
	org := loadTemplate(t, organizationTemplatePath)

	role := member.resource("ExecutionRole").get("Properties")
	assert.Equal(t, "ExecutionRoleName", cfnRef(role.get("RoleName").Node))
	// The function assumes role/<executionRoleName> in each account: the defaults must agree.
	assert.Equal(t, org.get("Parameters", "ExecutionRoleName", "Default").str(),
		member.get("Parameters", "ExecutionRoleName", "Default").str())

	trust := role.get("AssumeRolePolicyDocument", "Statement").items()
	require.Len(t, trust, 1)
	assert.Equal(t, "sts:AssumeRole", trust[0].get("Action").str())
	assert.Equal(t, "arn:${AWS::Partition}:iam::${CentralAccountId}:root", subTemplate(trust[0].get("Principal", "AWS").Node))
	assert.Equal(t, "CentralFunctionRoleArn", cfnRef(trust[0].get("Condition", "ArnEquals", "aws:PrincipalArn").Node),
		"only the central function's role may assume it")

	// The central role keeps to the organization's accounts.
	orgRole := org.resource(cfnFunctionRoleID).get("Properties")
	assert.Equal(t, "FunctionRoleName", cfnRef(orgRole.get("RoleName").Node))
	var orgCondition string
	for _, st := range cfnStatements(org.resource(cfnFunctionRoleID)) {
		if slices.Contains(st.actions, actionAssumeRole) {
			orgCondition = cfnRef(st.node.get("Condition", "StringEquals", "aws:ResourceOrgID").Node)
		}
	}
	assert.Equal(t, "OrganizationId", orgCondition)
}

func TestTemplateRuleTriggers(t *testing.T) {
	change := []string{"ConfigurationItemChangeNotification", "OversizedConfigurationItemChangeNotification"}
	periodic := []string{"ScheduledNotification"}
	scope := []string{"AWS::EC2::VPC", "AWS::EC2::VPCEndpoint"}
	tests := []struct {
		mode      string
		messages  []string
		scopeWant []string // nil when the rule must not be scoped
	}{
		{mode: "ChangeAndPeriodic", messages: slices.Concat(change, periodic), scopeWant: scope},
		{mode: "PeriodicOnly", messages: periodic},
		{mode: "ChangeOnly", messages: change, scopeWant: scope},
	}
	single := loadTemplate(t, ruleTemplatePath)
	org := loadTemplate(t, organizationTemplatePath)
	for _, tpl := range []cfnNode{single, org} {
		params := tpl.get("Parameters")
		assert.Equal(t, "ChangeAndPeriodic", params.get("TriggerMode", "Default").str())
		assert.Equal(t, "Twelve_Hours", params.get("MaximumExecutionFrequency", "Default").str())
		assert.Equal(t, []string{"One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"},
			params.get("MaximumExecutionFrequency", "AllowedValues").strs())
	}
	for _, tt := range tests {
		t.Run("single account/"+tt.mode, func(t *testing.T) {
			s := newCFNStack(t, single, map[string]string{"TriggerMode": tt.mode})
			props := s.resolve(single.resource("ConfigRule").get("Properties"))
			assert.Equal(t, "CUSTOM_LAMBDA", props.get("Source", "Owner").str())
			assert.Equal(t, cfnFunctionID+".Arn", getAtt(props.get("Source", "SourceIdentifier").Node))
			var messages []string
			for _, d := range props.get("Source", "SourceDetails").items() {
				messages = append(messages, d.get("MessageType").str())
				assert.Equal(t, "aws.config", d.get("EventSource").str())
				freq := d.get("MaximumExecutionFrequency")
				if d.get("MessageType").str() == "ScheduledNotification" {
					assert.Equal(t, "MaximumExecutionFrequency", cfnRef(freq.Node))
				} else {
					assert.False(t, freq.ok(), "MaximumExecutionFrequency on a change trigger")
				}
			}
			assert.Equal(t, tt.messages, messages)
			assert.Equal(t, tt.scopeWant, props.get("Scope", "ComplianceResourceTypes").strs())
		})
		t.Run("organization/"+tt.mode, func(t *testing.T) {
			s := newCFNStack(t, org, map[string]string{"TriggerMode": tt.mode})
			meta := s.resolve(org.resource("OrganizationRule").get("Properties", "OrganizationCustomRuleMetadata"))
			assert.Equal(t, cfnFunctionID+".Arn", getAtt(meta.get("LambdaFunctionArn").Node))
			assert.Equal(t, tt.messages, meta.get("OrganizationConfigRuleTriggerTypes").strs())
			assert.Equal(t, tt.scopeWant, meta.get("ResourceTypesScope").strs())
			freq := meta.get("MaximumExecutionFrequency")
			if slices.Contains(tt.messages, "ScheduledNotification") {
				assert.Equal(t, "MaximumExecutionFrequency", cfnRef(freq.Node))
			} else {
				assert.False(t, freq.ok(), "MaximumExecutionFrequency without a periodic trigger")
			}
		})
	}
}

func TestTemplateInputParameters(t *testing.T) {
	every := map[string]string{} // every rule parameter set, each to its template parameter's name
	for _, p := range templateRuleParams() {
		every[templateParamName(p)] = templateParamName(p)
	}
	none := map[string]string{}
	for _, p := range templateRuleParams() {
		none[templateParamName(p)] = ""
	}
	tests := []struct {
		name      string
		path      string
		overrides map[string]string
		want      map[string]string
		complete  bool // every rule parameter must be passed
	}{
		{
			name: "single account/defaults", path: ruleTemplatePath,
			want: map[string]string{rule.ParamServiceNames: rule.DefaultService},
		},
		{
			name: "single account/every parameter empty", path: ruleTemplatePath, overrides: none,
			want: map[string]string{},
		},
		{
			name: "single account/every parameter set", path: ruleTemplatePath, overrides: every,
			want: wantEveryParam(), complete: true,
		},
		{
			name: "organization/defaults", path: organizationTemplatePath,
			want: map[string]string{
				rule.ParamServiceNames:      rule.DefaultService,
				rule.ParamExecutionRoleName: "ec2-vpc-endpoint-rule-execution",
			},
		},
		{
			name: "organization/every parameter set", path: organizationTemplatePath, overrides: every,
			want: wantEveryParam(), complete: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := loadTemplate(t, tt.path)
			got := ruleInputParameters(t, tpl, tt.overrides)
			assert.Equal(t, tt.want, got)
			assert.Empty(t, paramProblems(got, tt.complete))
		})
	}

	// ServiceName is only an alias the function accepts; the templates offer ServiceNames.
	for _, path := range []string{ruleTemplatePath, organizationTemplatePath} {
		tpl := loadTemplate(t, path)
		assert.False(t, tpl.get("Parameters", templateParamName(rule.ParamServiceName)).ok(), "%s: ServiceName parameter", path)
		for _, p := range templateRuleParams() {
			assert.True(t, tpl.get("Parameters", templateParamName(p)).ok(), "%s: parameter %s", path, templateParamName(p))
		}
	}
}

// TestTemplateChecksCatchDrift feeds the checks above modified copies of the templates: each
// modification is a drift they exist to catch.
func TestTemplateChecksCatchDrift(t *testing.T) {
	addAction := func(sid, action string) func(t *testing.T, tpl cfnNode) {
		return func(t *testing.T, tpl cfnNode) {
			st := cfnFindStatement(t, tpl, sid)
			st.get("Action").Content = append(st.get("Action").Content, yamlScalar(action))
		}
	}
	roleTests := []struct {
		name   string
		path   string
		roleID string
		want   cfnRoleWant
		mutate func(t *testing.T, tpl cfnNode)
	}{
		{
			name: "an action the code does not call", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{evaluation: evaluationActions(), logs: true, assumeRole: "HasExecutionRole"},
			mutate: addAction("DescribeAndReport", "ec2:DescribeRegions"),
		},
		{
			name: "an action the code calls is missing", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: true, assumeRole: "HasExecutionRole"},
			mutate: func(t *testing.T, tpl cfnNode) {
				action := cfnFindStatement(t, tpl, "DescribeAndReport").get("Action")
				action.Content = slices.DeleteFunc(action.Content, func(n *yaml.Node) bool { return n.Value == actionDescribeSubnets })
			},
		},
		{
			name: "a wildcard action", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: true, assumeRole: "HasExecutionRole"},
			mutate: func(t *testing.T, tpl cfnNode) {
				for _, n := range cfnFindStatement(t, tpl, "DescribeAndReport").get("Action").Content {
					if strings.HasPrefix(n.Value, "ec2:") {
						n.Value = "ec2:Describe*"
					}
				}
			},
		},
		{
			name: "sts:AssumeRole without the condition", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: true, assumeRole: "HasExecutionRole"},
			mutate: func(t *testing.T, tpl cfnNode) {
				statements := tpl.resource(cfnFunctionRoleID).get("Properties", "Policies").items()[0].get("PolicyDocument", "Statement")
				for i, n := range statements.Content {
					if name, arg := intrinsic(n); name == "Fn::If" {
						statements.Content[i] = arg.Content[1]
					}
				}
			},
		},
		{
			name: "more than the runtime's logs actions", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{evaluation: evaluationActions(), logs: true, assumeRole: "HasExecutionRole"},
			mutate: addAction("Logs", "logs:CreateLogGroup"),
		},
		{
			name: "member role: an action the code does not call", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want:   cfnRoleWant{evaluation: evaluationActions()},
			mutate: addAction("DescribeAndReport", "ec2:DescribeInstances"),
		},
		{
			name: "member role: sts:AssumeRole", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want:   cfnRoleWant{evaluation: evaluationActions()},
			mutate: addAction("DescribeAndReport", actionAssumeRole),
		},
		{
			name: "organization function: reads directly", path: organizationTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{logs: true, assumeRole: cfnAssumeAlways},
			mutate: addAction("Logs", actionDescribeVPCs),
		},
	}
	for _, tt := range roleTests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := loadTemplate(t, tt.path)
			require.Empty(t, roleProblems(tpl.resource(tt.roleID), tt.want), "the template itself must pass")
			tt.mutate(t, tpl)
			assert.NotEmpty(t, roleProblems(tpl.resource(tt.roleID), tt.want))
		})
	}

	paramTests := []struct {
		name   string
		mutate func(inputs cfnNode)
	}{
		{name: "the alias serviceName", mutate: func(inputs cfnNode) {
			inputs.Content = append(inputs.Content, yamlScalar(rule.ParamServiceName), yamlScalar("ec2"))
		}},
		{name: "a parameter the function does not know", mutate: func(inputs cfnNode) {
			inputs.Content = append(inputs.Content, yamlScalar("serviceNamesList"), yamlScalar("ec2"))
		}},
		{name: "a parameter left out", mutate: func(inputs cfnNode) {
			inputs.Content = inputs.Content[2:]
		}},
	}
	for _, tt := range paramTests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := loadTemplate(t, ruleTemplatePath)
			tt.mutate(tpl.resource("ConfigRule").get("Properties", "InputParameters"))
			every := map[string]string{}
			for _, p := range templateRuleParams() {
				every[templateParamName(p)] = "x"
			}
			assert.NotEmpty(t, paramProblems(ruleInputParameters(t, tpl, every), true))
		})
	}
}

// cfnRoleWant is what a role's inline policies must grant.
type cfnRoleWant struct {
	// evaluation lists exactly the actions allowed outside the Logs and sts:AssumeRole statements.
	evaluation []string
	// logs requires a statement with Sid Logs granting cfnLogsActions on the function's log group.
	logs bool
	// assumeRole is "" when the role must not grant sts:AssumeRole, cfnAssumeAlways when it grants it
	// unconditionally, or else the template condition the grant must sit under.
	assumeRole string
}

const cfnAssumeAlways = "(always)"

// roleProblems returns how role's inline policies differ from want, one sentence each.
func roleProblems(role cfnNode, want cfnRoleWant) []string {
	var problems, evaluation []string
	var sawLogs, sawAssume bool
	for _, st := range cfnStatements(role) {
		for _, a := range st.actions {
			if strings.Contains(a, "*") {
				problems = append(problems, "statement "+st.sid+" grants the wildcard action "+a)
			}
		}
		if effect := st.node.get("Effect").str(); effect != "Allow" {
			problems = append(problems, "statement "+st.sid+" has Effect "+effect)
		}
		if st.node.get("NotAction").ok() {
			problems = append(problems, "statement "+st.sid+" uses NotAction, which grants every other action")
		}
		switch {
		case st.sid == "Logs":
			sawLogs = true
			if !want.logs {
				problems = append(problems, "a Logs statement where none belongs")
			}
			if !slices.Equal(sortedCopy(st.actions), cfnLogsActions) {
				problems = append(problems, "the Logs statement grants "+strings.Join(st.actions, ", "))
			}
			if getAtt(st.node.get("Resource").Node) != cfnLogGroupID+".Arn" {
				problems = append(problems, "the Logs statement is not scoped to "+cfnLogGroupID)
			}
		case slices.Contains(st.actions, actionAssumeRole):
			sawAssume = true
			switch {
			case len(st.actions) != 1:
				problems = append(problems, "statement "+st.sid+" mixes sts:AssumeRole with other actions")
			case want.assumeRole == "":
				problems = append(problems, "statement "+st.sid+" grants sts:AssumeRole")
			case want.assumeRole == cfnAssumeAlways && st.condition != "":
				problems = append(problems, "sts:AssumeRole under condition "+st.condition)
			case want.assumeRole != cfnAssumeAlways && st.condition != want.assumeRole:
				problems = append(problems, "sts:AssumeRole not under condition "+want.assumeRole)
			}
			// The organization's function assumes the role in every member account; a
			// single-account deployment only ever in its own.
			wantResource := "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ExecutionRoleName}"
			if want.assumeRole == cfnAssumeAlways {
				wantResource = "arn:${AWS::Partition}:iam::*:role/${ExecutionRoleName}"
			}
			if res := subTemplate(st.node.get("Resource").Node); res != wantResource {
				problems = append(problems, "sts:AssumeRole on "+res)
			}
		default:
			if st.condition != "" {
				problems = append(problems, "statement "+st.sid+" depends on condition "+st.condition)
			}
			if slices.Contains(st.actions, actionGetComplianceDetailsByConfigRule) && st.node.get("Resource").str() == "*" {
				problems = append(problems, actionGetComplianceDetailsByConfigRule+" is not scoped to config rules")
			}
			evaluation = append(evaluation, st.actions...)
		}
	}
	if want.logs && !sawLogs {
		problems = append(problems, "no Logs statement")
	}
	if want.assumeRole != "" && !sawAssume {
		problems = append(problems, "no sts:AssumeRole statement")
	}
	evaluation = slices.Compact(sortedCopy(evaluation))
	for _, a := range evaluation {
		if !slices.Contains(want.evaluation, a) {
			problems = append(problems, "grants "+a+", which the code does not call")
		}
	}
	for _, a := range want.evaluation {
		if !slices.Contains(evaluation, a) {
			problems = append(problems, "does not grant "+a+", which the code calls")
		}
	}
	return problems
}

// cfnStatement is one statement of a role's inline policies.
type cfnStatement struct {
	node      cfnNode
	sid       string
	actions   []string
	condition string // the template condition an Fn::If puts the statement under, or ""
}

// cfnStatements returns the statements of role's inline policies. A statement under Fn::If
// carries the condition when it is the true cfnBranch, and "!" and the condition when it is the
// false one.
func cfnStatements(role cfnNode) []cfnStatement {
	var out []cfnStatement
	for _, policy := range role.get("Properties", "Policies").items() {
		for _, item := range policy.get("PolicyDocument", "Statement").items() {
			for _, b := range cfnBranches(item.Node, "") {
				st := cfnNode{b.node}
				out = append(out, cfnStatement{node: st, sid: st.get("Sid").str(), actions: st.get("Action").strs(), condition: b.condition})
			}
		}
	}
	return out
}

type cfnBranch struct {
	condition string
	node      *yaml.Node
}

// cfnBranches returns what n can stand for: the cfnBranches of an Fn::If (recursively, AWS::NoValue
// left out) or n itself.
func cfnBranches(n *yaml.Node, condition string) []cfnBranch {
	name, arg := intrinsic(n)
	switch {
	case name == "Ref" && arg.Value == "AWS::NoValue":
		return nil
	case name == "Fn::If" && len(arg.Content) == 3:
		c := arg.Content[0].Value
		return append(cfnBranches(arg.Content[1], c), cfnBranches(arg.Content[2], "!"+c)...)
	}
	return []cfnBranch{{condition: condition, node: n}}
}

// templateRuleParams returns the rule parameters the templates must pass: every one the
// function accepts except serviceName, an alias of serviceNames.
func templateRuleParams() []string {
	return slices.DeleteFunc(rule.ParamNames(), func(p string) bool { return p == rule.ParamServiceName })
}

// templateParamName returns the template parameter a rule parameter comes from: serviceNames
// comes from ServiceNames.
func templateParamName(ruleParam string) string {
	return strings.ToUpper(ruleParam[:1]) + ruleParam[1:]
}

// wantEveryParam is the InputParameters when every template parameter is set to its own name.
func wantEveryParam() map[string]string {
	want := map[string]string{}
	for _, p := range templateRuleParams() {
		want[p] = templateParamName(p)
	}
	return want
}

// paramProblems returns the rule parameters in got the function does not accept, and, when all
// must be present, those missing.
func paramProblems(got map[string]string, all bool) []string {
	want := templateRuleParams()
	var problems []string
	for name := range got {
		if !slices.Contains(want, name) {
			problems = append(problems, "InputParameters has "+name+", which the templates must not pass")
		}
	}
	for _, name := range want {
		if _, ok := got[name]; all && !ok {
			problems = append(problems, "InputParameters lacks "+name)
		}
	}
	return problems
}

// ruleInputParameters returns the rule parameters the template's Config rule passes for the given
// template parameters (the rest at their defaults): an object in AWS::Config::ConfigRule, a JSON
// string in AWS::Config::OrganizationConfigRule.
func ruleInputParameters(t *testing.T, tpl cfnNode, params map[string]string) map[string]string {
	t.Helper()
	s := newCFNStack(t, tpl, params)
	got := map[string]string{}
	if r := tpl.resource("ConfigRule"); r.ok() {
		inputs := s.resolve(r.get("Properties", "InputParameters"))
		for i := 0; i+1 < len(inputs.Content); i += 2 {
			got[inputs.Content[i].Value] = s.value(inputs.Content[i+1])
		}
		return got
	}
	inputs := s.resolve(tpl.resource("OrganizationRule").get("Properties", "OrganizationCustomRuleMetadata", "InputParameters"))
	require.NoError(t, json.Unmarshal([]byte(s.value(inputs.Node)), &got), "InputParameters is not a JSON object of strings")
	return got
}

// cfnStack evaluates the parts of a template the tests need (conditions, Ref, Fn::Join, Fn::Sub)
// for given parameter values, the rest at their defaults.
type cfnStack struct {
	t      *testing.T
	tpl    cfnNode
	params map[string]string
}

func newCFNStack(t *testing.T, tpl cfnNode, overrides map[string]string) *cfnStack {
	s := &cfnStack{t: t, tpl: tpl, params: map[string]string{
		"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012",
	}}
	params := tpl.get("Parameters")
	for _, name := range params.keys() {
		s.params[name] = params.get(name, "Default").str()
	}
	for name, v := range overrides {
		_, ok := s.params[name]
		require.True(t, ok, "no parameter %s", name)
		s.params[name] = v
	}
	return s
}

// resolve returns n with every Fn::If replaced by the cfnBranch its condition selects.
func (s *cfnStack) resolve(n cfnNode) cfnNode {
	return cfnNode{resolveIfs(n.Node, s.condition)}
}

func (s *cfnStack) condition(name string) bool {
	c := s.tpl.get("Conditions", name)
	require.True(s.t, c.ok(), "no condition %s", name)
	return s.truth(c.Node)
}

func (s *cfnStack) truth(n *yaml.Node) bool {
	name, arg := intrinsic(n)
	switch name {
	case "Fn::Not":
		return !s.truth(arg.Content[0])
	case "Fn::Equals":
		return s.value(arg.Content[0]) == s.value(arg.Content[1])
	case "Fn::And", "Fn::Or":
		every, some := true, false
		for _, c := range arg.Content {
			v := s.truth(c)
			every, some = every && v, some || v
		}
		return (name == "Fn::And" && every) || (name == "Fn::Or" && some)
	case "Condition":
		return s.condition(arg.Value)
	}
	s.t.Fatalf("condition function %q not supported", name)
	return false
}

var cfnSubVariable = regexp.MustCompile(`\$\{([^!}]+)\}`)

// value returns the string n evaluates to.
func (s *cfnStack) value(n *yaml.Node) string {
	name, arg := intrinsic(n)
	switch name {
	case "":
		require.Equal(s.t, yaml.ScalarNode, n.Kind, "value of a %v", n.Kind)
		return n.Value
	case "Ref":
		v, ok := s.params[arg.Value]
		require.True(s.t, ok, "Ref to %s", arg.Value)
		return v
	case "Fn::Join":
		require.Len(s.t, arg.Content, 2)
		delim, list := arg.Content[0].Value, arg.Content[1]
		if list.Kind != yaml.SequenceNode { // a Ref to a CommaDelimitedList
			return strings.ReplaceAll(s.value(list), ",", delim)
		}
		parts := make([]string, len(list.Content))
		for i, p := range list.Content {
			parts[i] = s.value(p)
		}
		return strings.Join(parts, delim)
	case "Fn::Sub":
		text, vars := arg.Value, map[string]string{}
		if arg.Kind == yaml.SequenceNode {
			text = arg.Content[0].Value
			for i := 0; i+1 < len(arg.Content[1].Content); i += 2 {
				vars[arg.Content[1].Content[i].Value] = s.value(arg.Content[1].Content[i+1])
			}
		}
		return cfnSubVariable.ReplaceAllStringFunc(text, func(m string) string {
			name := m[2 : len(m)-1]
			if v, ok := vars[name]; ok {
				return v
			}
			v, ok := s.params[name]
			require.True(s.t, ok, "Fn::Sub variable %s", name)
			return v
		})
	}
	s.t.Fatalf("function %q not supported", name)
	return ""
}

// resolveIfs returns a copy of n with every Fn::If replaced by the cfnBranch cond selects. AWS::NoValue
// drops the property or list item it stands for: resolveIfs returns nil for it.
func resolveIfs(n *yaml.Node, cond func(string) bool) *yaml.Node {
	if n == nil {
		return nil
	}
	name, arg := intrinsic(n)
	switch {
	case name == "Ref" && arg.Value == "AWS::NoValue":
		return nil
	case name == "Fn::If" && len(arg.Content) == 3:
		if cond(arg.Content[0].Value) {
			return resolveIfs(arg.Content[1], cond)
		}
		return resolveIfs(arg.Content[2], cond)
	}
	out := *n
	out.Content = nil
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if v := resolveIfs(n.Content[i+1], cond); v != nil {
				out.Content = append(out.Content, n.Content[i], v)
			}
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if v := resolveIfs(item, cond); v != nil {
				out.Content = append(out.Content, v)
			}
		}
	default:
		out.Content = n.Content
	}
	return &out
}

// cfnNode is a node of a CloudFormation template as yaml.v3 decodes it: the short-form tags
// (!Ref, !If, !Sub, !GetAtt) stay on the nodes. The zero cfnNode stands for a missing one.
type cfnNode struct{ *yaml.Node }

func loadTemplate(t *testing.T, path string) cfnNode {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc), path)
	require.Len(t, doc.Content, 1, path)
	return cfnNode{doc.Content[0]}
}

func (n cfnNode) ok() bool { return n.Node != nil }

// get follows mapping keys.
func (n cfnNode) get(keys ...string) cfnNode {
	cur := n.Node
	for _, k := range keys {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return cfnNode{}
		}
		var next *yaml.Node
		for i := 0; i+1 < len(cur.Content); i += 2 {
			if cur.Content[i].Value == k {
				next = cur.Content[i+1]
				break
			}
		}
		cur = next
	}
	return cfnNode{cur}
}

func (n cfnNode) resource(id string) cfnNode { return n.get("Resources", id) }

// str returns a scalar's value, "" for anything else.
func (n cfnNode) str() string {
	if n.Node == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// strs returns a scalar or a sequence of scalars as strings (IAM's Action and DependsOn take both).
func (n cfnNode) strs() []string {
	switch {
	case n.Node == nil:
		return nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}
	}
	var out []string
	for _, item := range n.Content {
		out = append(out, item.Value)
	}
	return out
}

func (n cfnNode) items() []cfnNode {
	if n.Node == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]cfnNode, len(n.Content))
	for i, item := range n.Content {
		out[i] = cfnNode{item}
	}
	return out
}

func (n cfnNode) keys() []string {
	if n.Node == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, n.Content[i].Value)
	}
	return out
}

// intrinsic returns the function n calls ("Ref", "Fn::If", ...) and its argument, for the short
// form (!If [...]) and the long form (Fn::If: [...]) alike; "" when n calls none.
func intrinsic(n *yaml.Node) (string, *yaml.Node) {
	switch {
	case n == nil:
		return "", nil
	case strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!"):
		name := strings.TrimPrefix(n.Tag, "!")
		if name != "Ref" && name != "Condition" {
			name = "Fn::" + name
		}
		arg := *n
		arg.Tag = ""
		return name, &arg
	case n.Kind == yaml.MappingNode && len(n.Content) == 2:
		if k := n.Content[0].Value; k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, n.Content[1]
		}
	}
	return "", nil
}

// ref returns the name n refers to with Ref, or "".
func cfnRef(n *yaml.Node) string {
	if name, arg := intrinsic(n); name == "Ref" {
		return arg.Value
	}
	return ""
}

// getAtt returns "Resource.Attribute" for an Fn::GetAtt, or "".
func getAtt(n *yaml.Node) string {
	name, arg := intrinsic(n)
	switch {
	case name != "Fn::GetAtt":
		return ""
	case arg.Kind == yaml.SequenceNode && len(arg.Content) == 2:
		return arg.Content[0].Value + "." + arg.Content[1].Value
	}
	return arg.Value
}

// subTemplate returns the template string of an Fn::Sub, or "".
func subTemplate(n *yaml.Node) string {
	name, arg := intrinsic(n)
	switch {
	case name != "Fn::Sub":
		return ""
	case arg.Kind == yaml.SequenceNode && len(arg.Content) > 0:
		return arg.Content[0].Value
	}
	return arg.Value
}

// cfnFindStatement returns the statement with the given Sid in the function or execution role.
func cfnFindStatement(t *testing.T, tpl cfnNode, sid string) cfnNode {
	t.Helper()
	for _, id := range []string{cfnFunctionRoleID, "ExecutionRole"} {
		for _, st := range cfnStatements(tpl.resource(id)) {
			if st.sid == sid {
				return st.node
			}
		}
	}
	t.Fatalf("no statement %s", sid)
	return cfnNode{}
}

func yamlScalar(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func sortedCopy(s []string) []string { return slices.Sorted(slices.Values(s)) }
