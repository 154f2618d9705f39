package main

import (
	"encoding/json"
	"fmt"
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

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// The deployment templates, relative to this package. These tests hold them against the code:
// the IAM actions in iam.go and the rule parameters rule.ParamNames accepts.
const (
	ruleTemplatePath         = "../template.yaml"
	organizationTemplatePath = "../deploy/organization.yaml"
	orgRolesTemplatePath     = "../deploy/organization-roles.yaml"
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
		role    string // the Role: a GetAtt of the template's role, or a Ref to the parameter
		org     bool
	}{
		{name: "single account", path: ruleTemplatePath, codeURI: ".", role: cfnFunctionRoleID + ".Arn"},
		{name: "organization", path: organizationTemplatePath, codeURI: "..", role: "FunctionRoleArn", org: true},
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
			if tt.org {
				// The regional stack runs the function as the one role of every Region, and
				// assumes only the deployment's execution role.
				assert.Equal(t, tt.role, cfnRef(props.get("Role").Node))
				assert.Equal(t, "ExecutionRoleName", cfnRef(props.get("Environment", "Variables", envExecutionRoleName).Node))
				assert.Equal(t, "ReservedConcurrency", cfnRef(props.get("ReservedConcurrentExecutions").Node))
				reserved := tpl.get("Parameters", "ReservedConcurrency")
				assert.Equal(t, "1", reserved.get("MinValue").str(), "0 reserved would throttle every invocation")
			} else {
				assert.Equal(t, tt.role, getAtt(props.get("Role").Node))
				assert.False(t, props.get("Environment", "Variables", envExecutionRoleName).ok(),
					"%s in a single-account deployment", envExecutionRoleName)
			}

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
		sourceARN     string // the Fn::Sub pattern, "" when the permission must not name one
	}{
		{
			name: "single account", path: ruleTemplatePath, ruleID: "ConfigRule", sourceAccount: "AWS::AccountId",
			sourceARN: "arn:${AWS::Partition}:config:${AWS::Region}:${AWS::AccountId}:config-rule/*",
		},
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
			// A pattern of pseudo parameters only: the rule's own ARN would be a cycle.
			assert.Equal(t, tt.sourceARN, subTemplate(props.get("SourceArn").Node))
			assert.Equal(t, tt.sourceARN == "", !props.get("SourceArn").ok())
			if tt.sourceARN != "" {
				s := newCFNStack(t, tpl, nil)
				pattern := s.value(props.get("SourceArn").Node)
				assert.True(t, arnLike(pattern, "arn:aws:config:us-east-1:123456789012:config-rule/config-rule-a1b2c3"),
					"%s must match this account's rules in this Region", pattern)
				for _, other := range []string{
					"arn:aws:config:us-east-1:210987654321:config-rule/config-rule-a1b2c3",
					"arn:aws:config:eu-west-1:123456789012:config-rule/config-rule-a1b2c3",
					"arn:aws:config:us-east-1:123456789012:config-aggregator/config-aggregator-a1b2c3",
				} {
					assert.False(t, arnLike(pattern, other), "%s must not match %s", pattern, other)
				}
			}

			// Config checks the permission when it creates the rule.
			configRule := tpl.resource(tt.ruleID)
			require.True(t, configRule.ok(), "resource %s", tt.ruleID)
			assert.Contains(t, configRule.get("DependsOn").strs(), cfnPermissionID)
		})
	}
}

// The alarms each template carries: a function that keeps failing puts nothing and Config keeps
// its old results (errors); a rule whose invocations stopped fails nothing (silence); an event
// Lambda gave up on is a result Config never got (dropped events). Each notifies AlarmTopicArn
// when one is given.
func TestTemplateAlarms(t *testing.T) {
	for _, path := range []string{ruleTemplatePath, organizationTemplatePath} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			tpl := loadTemplate(t, path)
			assert.Equal(t, "", tpl.get("Parameters", "AlarmTopicArn", "Default").str(), "no topic unless given")
			for _, mode := range []string{"ChangeAndPeriodic", "PeriodicOnly", "ChangeOnly"} {
				for _, freq := range tpl.get("Parameters", "MaximumExecutionFrequency", "AllowedValues").strs() {
					s := newCFNStack(t, tpl, map[string]string{"TriggerMode": mode, "MaximumExecutionFrequency": freq})
					assert.Empty(t, alarmProblems(s), "%s, %s", mode, freq)
				}
			}
		})
	}
}

// sweepSeconds is each MaximumExecutionFrequency in seconds (AWS Config's PutConfigRule).
var sweepSeconds = map[string]int{
	"One_Hour": 3600, "Three_Hours": 3 * 3600, "Six_Hours": 6 * 3600, "Twelve_Hours": 12 * 3600, "TwentyFour_Hours": 24 * 3600,
}

// CloudWatch's limits on an alarm's evaluation range (PutMetricAlarm): Period x EvaluationPeriods
// at most 7 days for periods of an hour or more, at most a day below.
const (
	cwMaxRangeHourly = 7 * 24 * 3600
	cwMaxRangeShort  = 24 * 3600
)

// alarmProblems returns how the alarms of the stack s differ from what they must be, one sentence each.
func alarmProblems(s *cfnStack) []string {
	var problems []string
	periodic := s.params["TriggerMode"] != "ChangeOnly"
	alarm := func(id, metric string) (cfnNode, bool) {
		r := s.tpl.resource(id)
		if !r.ok() {
			problems = append(problems, "no alarm "+id)
			return cfnNode{}, false
		}
		exists := true
		if c := r.get("Condition").str(); c != "" {
			exists = s.condition(c)
		}
		props := s.resolve(r.get("Properties"))
		if props.get("Namespace").str() != "AWS/Lambda" || props.get("MetricName").str() != metric {
			problems = append(problems, id+" does not watch AWS/Lambda "+metric)
		}
		dims := props.get("Dimensions").items()
		if len(dims) != 1 || dims[0].get("Name").str() != "FunctionName" || cfnRef(dims[0].get("Value").Node) != cfnFunctionID {
			problems = append(problems, id+" does not watch this function alone")
		}
		if props.get("Statistic").str() != "Sum" {
			problems = append(problems, id+" does not sum "+metric)
		}
		for _, key := range []string{"AlarmActions", "OKActions"} {
			actions := props.get(key).items()
			switch {
			case s.condition("HasAlarmTopic") && (len(actions) != 1 || cfnRef(actions[0].Node) != "AlarmTopicArn"):
				problems = append(problems, id+" "+key+" does not notify AlarmTopicArn")
			case !s.condition("HasAlarmTopic") && props.get(key).ok():
				problems = append(problems, id+" "+key+" without AlarmTopicArn")
			}
		}
		return props, exists
	}
	number := func(props cfnNode, key string) int {
		n, err := strconv.Atoi(s.value(props.get(key).Node))
		if err != nil {
			problems = append(problems, key+" is not a number")
		}
		return n
	}

	if props, exists := alarm("RuleErrorsAlarm", "Errors"); props.ok() {
		if !exists || props.get("ComparisonOperator").str() != "GreaterThanOrEqualToThreshold" || props.get("TreatMissingData").str() != "notBreaching" {
			problems = append(problems, "RuleErrorsAlarm does not go off on errors alone")
		}
	}
	if props, exists := alarm("RuleDroppedEventsAlarm", "AsyncEventsDropped"); props.ok() {
		if !exists || props.get("ComparisonOperator").str() != "GreaterThanOrEqualToThreshold" || s.value(props.get("Threshold").Node) != "1" ||
			props.get("TreatMissingData").str() != "notBreaching" {
			problems = append(problems, "RuleDroppedEventsAlarm does not go off on the first dropped event")
		}
	}
	if props, exists := alarm("RuleSilenceAlarm", "Invocations"); props.ok() {
		switch {
		case exists != periodic:
			problems = append(problems, fmt.Sprintf("RuleSilenceAlarm exists=%v with TriggerMode %s: only a sweeping rule is invoked on a schedule", exists, s.params["TriggerMode"]))
		case !exists:
		case props.get("ComparisonOperator").str() != "LessThanThreshold" || s.value(props.get("Threshold").Node) != "1":
			problems = append(problems, "RuleSilenceAlarm does not go off on no invocations")
		case props.get("TreatMissingData").str() != "breaching":
			problems = append(problems, "RuleSilenceAlarm does not count an hour without data as silent: Lambda publishes none then")
		default:
			period, periods, datapoints := number(props, "Period"), number(props, "EvaluationPeriods"), number(props, "DatapointsToAlarm")
			window, sweep := period*periods, sweepSeconds[s.params["MaximumExecutionFrequency"]]
			maxRange := cwMaxRangeHourly
			if period < 3600 {
				maxRange = cwMaxRangeShort
			}
			switch {
			case datapoints != periods:
				problems = append(problems, "RuleSilenceAlarm goes off before the whole window is silent")
			case window <= sweep:
				problems = append(problems, fmt.Sprintf("RuleSilenceAlarm's window %d s is not longer than the sweep period %d s", window, sweep))
			case window > sweep+3600:
				problems = append(problems, fmt.Sprintf("RuleSilenceAlarm's window %d s is more than an hour past the sweep period %d s", window, sweep))
			case window > maxRange:
				problems = append(problems, fmt.Sprintf("RuleSilenceAlarm's window %d s is beyond CloudWatch's %d s", window, maxRange))
			}
		}
	}
	return problems
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
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
		},
		{
			name: "organization function", path: orgRolesTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: organizationActions(), logs: cfnLogsEveryRegion, assumeRole: cfnAssumeAlways},
		},
		{
			name: "member account", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want: cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
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

// The organization deployment is three stacks: the function's role once (organization-roles),
// the execution role once per account (member-role), and the function in each Region
// (organization). TestTemplateOrganizationFits holds them together across Regions and partitions.
func TestTemplateOrganizationFits(t *testing.T) {
	assert.Empty(t, orgFitProblems(t, loadOrgDeployment(t)))

	// The parameters the stacks share agree by default, and a Region's stack creates no IAM.
	d := loadOrgDeployment(t)
	for _, name := range []string{"ExecutionRoleName", "RuleName"} {
		assert.Equal(t, d.roles.get("Parameters", name, "AllowedPattern").str(), d.regional.get("Parameters", name, "AllowedPattern").str(), name)
	}
	assert.Equal(t, d.roles.get("Parameters", "ExecutionRoleName", "AllowedPattern").str(), d.member.get("Parameters", "ExecutionRoleName", "AllowedPattern").str())
	assert.Equal(t, d.member.get("Parameters", "CentralFunctionRoleArn", "AllowedPattern").str(), d.regional.get("Parameters", "FunctionRoleArn", "AllowedPattern").str())
}

type orgDeployment struct{ roles, regional, member cfnNode }

func loadOrgDeployment(t *testing.T) orgDeployment {
	return orgDeployment{
		roles:    loadTemplate(t, orgRolesTemplatePath),
		regional: loadTemplate(t, organizationTemplatePath),
		member:   loadTemplate(t, memberRoleTemplatePath),
	}
}

// The accounts of the fit test: the delegated administrator, a member, and one outside.
const (
	orgAdminAccount   = "111111111111"
	orgMemberAccount  = "222222222222"
	orgForeignAccount = "333333333333"
	orgID             = "o-abcdefghij"
)

// orgPartitions are Regions to deploy to, by partition; the first of each holds the global stacks.
var orgPartitions = map[string][]string{
	"aws":        {"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"},
	"aws-us-gov": {"us-gov-west-1", "us-gov-east-1"},
	"aws-cn":     {"cn-north-1", "cn-northwest-1"},
}

// orgFitProblems deploys d, at its defaults, to every Region of orgPartitions and returns where
// the stacks do not fit, one sentence each: the function of every Region must run as the global
// role, write to its log group, assume the member role, and the member role must trust exactly
// that role.
func orgFitProblems(t *testing.T, d orgDeployment) []string {
	var problems []string
	for partition, regions := range orgPartitions {
		roles := newCFNStackAt(t, d.roles, map[string]string{"OrganizationId": orgID}, partition, regions[0], orgAdminAccount)
		role := d.roles.resource(cfnFunctionRoleID)
		if out := d.roles.get("Outputs", "FunctionRoleArn", "Value"); getAtt(out.Node) != cfnFunctionRoleID+".Arn" {
			problems = append(problems, "organization-roles output FunctionRoleArn is not the role's ARN")
		}
		// A named role's ARN, as GetAtt returns it.
		runsAs := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, orgAdminAccount, roles.value(role.get("Properties", "RoleName").Node))
		member := newCFNStackAt(t, d.member, map[string]string{"CentralFunctionRoleArn": runsAs}, partition, regions[0], orgMemberAccount)
		memberRole := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, orgMemberAccount,
			member.value(d.member.resource("ExecutionRole").get("Properties", "RoleName").Node))
		grants := func(action, resource string) (orgCondition string, ok bool) {
			for _, st := range cfnStatements(role) {
				if st.condition == "" && slices.Contains(st.actions, action) && arnLike(roles.value(st.node.get("Resource").Node), resource) {
					return valueOrEmpty(roles, st.node.get("Condition", "StringEquals", "aws:ResourceOrgID")), true
				}
			}
			return "", false
		}

		for _, region := range regions {
			where := partition + "/" + region
			regional := newCFNStackAt(t, d.regional, map[string]string{"FunctionRoleArn": runsAs}, partition, region, orgAdminAccount)
			for _, id := range d.regional.get("Resources").keys() {
				if typ := d.regional.resource(id).get("Type").str(); strings.HasPrefix(typ, "AWS::IAM::") {
					problems = append(problems, where+": the Region's stack creates "+typ+" "+id)
				}
			}
			fn := regional.resolve(d.regional.resource(cfnFunctionID).get("Properties"))
			if got := valueOrEmpty(regional, fn.get("Role")); got != runsAs {
				problems = append(problems, where+": the function runs as "+got+", not "+runsAs)
			}
			logGroup := fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", partition, region, orgAdminAccount,
				regional.value(d.regional.resource(cfnLogGroupID).get("Properties", "LogGroupName").Node))
			if _, ok := grants("logs:PutLogEvents", logGroup); !ok {
				problems = append(problems, where+": the role may not write to "+logGroup)
			}
			assumes := valueOrEmpty(regional, fn.get("Environment", "Variables", envExecutionRoleName))
			if input := ruleInputParameters(t, d.regional, regional.params)[rule.ParamExecutionRoleName]; input != assumes {
				problems = append(problems, where+": the rule names execution role "+input+", the function assumes "+assumes)
			}
			target := fmt.Sprintf("arn:%s:iam::%s:role/%s", partition, orgMemberAccount, assumes)
			if target != memberRole {
				problems = append(problems, where+": the function assumes "+target+", the member role is "+memberRole)
			}
			if org, ok := grants(actionAssumeRole, target); !ok || org != orgID {
				problems = append(problems, where+": the role may not assume "+target+" within the organization alone")
			}
		}

		// The member role trusts the function of every Region, and nothing else.
		if !trustAllows(member, runsAs) {
			problems = append(problems, partition+": the member role does not trust "+runsAs)
		}
		for _, other := range []string{
			fmt.Sprintf("arn:%s:iam::%s:role/other", partition, orgAdminAccount),
			fmt.Sprintf("arn:%s:iam::%s:root", partition, orgAdminAccount),
			fmt.Sprintf("arn:%s:iam::%s:user/admin", partition, orgAdminAccount),
			strings.Replace(runsAs, orgAdminAccount, orgForeignAccount, 1),
			strings.Replace(runsAs, orgAdminAccount, orgMemberAccount, 1),
		} {
			if trustAllows(member, other) {
				problems = append(problems, partition+": the member role trusts "+other)
			}
		}
	}
	return problems
}

// trustAllows reports whether the member role's trust policy lets principal (an IAM ARN) call
// sts:AssumeRole. It reads Principal AWS (an account root or an ARN) and the ARN and string
// conditions on aws:PrincipalArn; any other principal lets everyone in.
func trustAllows(member *cfnStack, principal string) bool {
	account := strings.Split(principal, ":")[4]
	for _, st := range member.resolve(member.tpl.resource("ExecutionRole").get("Properties", "AssumeRolePolicyDocument", "Statement")).items() {
		if st.get("Effect").str() != "Allow" || !slices.Contains(st.get("Action").strs(), actionAssumeRole) {
			continue
		}
		p := st.get("Principal")
		if p.str() == "*" || len(p.keys()) != 1 || !p.get("AWS").ok() {
			return true
		}
		trusted := false
		values := []cfnNode{p.get("AWS")}
		if name, _ := intrinsic(p.get("AWS").Node); name == "" && p.get("AWS").Kind == yaml.SequenceNode {
			values = p.get("AWS").items()
		}
		for _, n := range values {
			v := member.value(n.Node)
			trusted = trusted || v == "*" || v == principal || v == fmt.Sprintf("arn:%s:iam::%s:root", strings.Split(principal, ":")[1], account)
		}
		for _, op := range st.get("Condition").keys() {
			for _, key := range st.get("Condition", op).keys() {
				if key != "aws:PrincipalArn" {
					continue
				}
				v := member.value(st.get("Condition", op, key).Node)
				switch op {
				case "ArnEquals", "ArnLike": // the same operator in IAM, wildcards included
					trusted = trusted && arnLike(v, principal)
				case "StringEquals":
					trusted = trusted && v == principal
				case "StringLike":
					trusted = trusted && globMatchTest(v, principal)
				}
			}
		}
		if trusted {
			return true
		}
	}
	return false
}

// valueOrEmpty is s.value(n), or "" for a missing node.
func valueOrEmpty(s *cfnStack, n cfnNode) string {
	if !n.ok() {
		return ""
	}
	return s.value(n.Node)
}

// arnLike reports whether arn matches pattern as IAM's ArnLike does: each of the six
// colon-separated fields matched alone, with * and ? as wildcards.
func arnLike(pattern, arn string) bool {
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !globMatchTest(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// globMatchTest matches s against pattern with IAM's * and ? (which, unlike path.Match's, also match "/").
func globMatchTest(pattern, s string) bool {
	re := "^" + strings.ReplaceAll(strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*"), `\?`, ".") + "$"
	return regexp.MustCompile(re).MatchString(s)
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
			want:   cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: addAction("DescribeAndReport", "ec2:DescribeRegions"),
		},
		{
			name: "an action the code calls is missing", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				action := cfnFindStatement(t, tpl, "DescribeAndReport").get("Action")
				action.Content = slices.DeleteFunc(action.Content, func(n *yaml.Node) bool { return n.Value == actionDescribeSubnets })
			},
		},
		{
			name: "a wildcard action", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
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
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
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
			want:   cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: addAction("Logs", "logs:CreateLogGroup"),
		},
		{
			name: "member role: an action the code does not call", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want:   cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: addAction("DescribeAndReport", "ec2:DescribeInstances"),
		},
		{
			name: "an action of allowCentralEndpoints granted always", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: addAction("DescribeAndReport", "route53:ListHostedZonesByVPC"),
		},
		{
			name: "a Route 53 action the code calls is missing", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				action := cfnFindStatement(t, tpl, "CentralEndpointDns").get("Action")
				action.Content = slices.DeleteFunc(action.Content, func(n *yaml.Node) bool { return n.Value == "route53:ListResourceRecordSets" })
			},
		},
		{
			name: "member role: route53resolver:GetResolverRule is missing", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want: cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				action := cfnFindStatement(t, tpl, "CentralEndpointDns").get("Action")
				action.Content = slices.DeleteFunc(action.Content, func(n *yaml.Node) bool { return n.Value == "route53resolver:GetResolverRule" })
			},
		},
		{
			name: "route53resolver:GetResolverRule granted always", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: addAction("DescribeAndReport", "route53resolver:GetResolverRule"),
		},
		{
			name: "member role: ec2:DescribeNetworkInterfaces under the wrong condition", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want:   cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: addAction("CentralEndpointDns", actionDescribeNetworkInterfaces),
		},
		{
			name: "member role: the central-endpoint reads granted always", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want: cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				statements := tpl.resource("ExecutionRole").get("Properties", "Policies").items()[0].get("PolicyDocument", "Statement")
				for i, n := range statements.Content {
					if name, arg := intrinsic(n); name == "Fn::If" && arg.Content[0].Value == "AllowsCentralEndpoints" {
						statements.Content[i] = arg.Content[1]
					}
				}
			},
		},
		{
			name: "securityhub:BatchImportFindings granted always", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				statements := tpl.resource(cfnFunctionRoleID).get("Properties", "Policies").items()[0].get("PolicyDocument", "Statement")
				for i, n := range statements.Content {
					if name, arg := intrinsic(n); name == "Fn::If" && arg.Content[0].Value == "ImportsFindings" {
						statements.Content[i] = arg.Content[1]
					}
				}
			},
		},
		{
			name: "securityhub:BatchImportFindings on every product", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				*cfnFindStatement(t, tpl, "ImportFindings").get("Resource").Node = *yamlScalar("*")
			},
		},
		{
			name: "securityhub:GetFindings on every hub", path: ruleTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: evaluationActions(), logs: cfnLogsOwnGroup, assumeRole: "HasExecutionRole", conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				*cfnFindStatement(t, tpl, "ReadFindings").get("Resource").Node = *yamlScalar("*")
			},
		},
		{
			name: "member role: securityhub:BatchImportFindings beside the reads", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want:   cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: addAction("DescribeAndReport", actionBatchImportFindings),
		},
		{
			name: "member role: findings of another account's product", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want: cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: func(t *testing.T, tpl cfnNode) {
				res := cfnFindStatement(t, tpl, "ImportFindings").get("Resource")
				res.Value = strings.Replace(res.Value, ":product/${AWS::AccountId}/", ":product/*/", 1)
			},
		},
		{
			name: "organization function: imports findings itself", path: orgRolesTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{evaluation: organizationActions(), logs: cfnLogsEveryRegion, assumeRole: cfnAssumeAlways},
			mutate: addAction("Logs", actionBatchImportFindings),
		},
		{
			name: "member role: sts:AssumeRole", path: memberRoleTemplatePath, roleID: "ExecutionRole",
			want:   cfnRoleWant{evaluation: evaluationActions(), conditional: cfnParamGrants},
			mutate: addAction("DescribeAndReport", actionAssumeRole),
		},
		{
			name: "organization function: reads directly", path: orgRolesTemplatePath, roleID: cfnFunctionRoleID,
			want:   cfnRoleWant{evaluation: organizationActions(), logs: cfnLogsEveryRegion, assumeRole: cfnAssumeAlways},
			mutate: addAction("Logs", actionDescribeVPCs),
		},
		{
			name: "organization function: cannot list the organization's accounts", path: orgRolesTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: organizationActions(), logs: cfnLogsEveryRegion, assumeRole: cfnAssumeAlways},
			mutate: func(t *testing.T, tpl cfnNode) {
				*cfnFindStatement(t, tpl, "ListOrganizationAccounts").get("Action").Node = *yamlScalar("organizations:DescribeOrganization")
			},
		},
		{
			name: "organization function: logs in one Region only", path: orgRolesTemplatePath, roleID: cfnFunctionRoleID,
			want: cfnRoleWant{evaluation: organizationActions(), logs: cfnLogsEveryRegion, assumeRole: cfnAssumeAlways},
			mutate: func(t *testing.T, tpl cfnNode) {
				res := cfnFindStatement(t, tpl, "Logs").get("Resource")
				res.Value = strings.Replace(res.Value, ":logs:*:", ":logs:${AWS::Region}:", 1)
			},
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

	statement := func(tpl cfnNode, id string, i int) cfnNode {
		return tpl.resource(id).get("Properties", "AssumeRolePolicyDocument", "Statement").items()[i]
	}
	fitTests := []struct {
		name   string
		mutate func(t *testing.T, d orgDeployment)
	}{
		{name: "member trust: any role of the administrator account", mutate: func(t *testing.T, d orgDeployment) {
			trust := statement(d.member, "ExecutionRole", 0)
			trust.Content = slices.Delete(trust.Content, 6, 8) // Effect, Principal, Action, Condition
			require.Equal(t, "Action", trust.Content[4].Value)
		}},
		{name: "member trust: a wildcard PrincipalArn", mutate: func(t *testing.T, d orgDeployment) {
			*statement(d.member, "ExecutionRole", 0).get("Condition", "ArnEquals", "aws:PrincipalArn").Node = *yamlScalar("arn:aws:iam::*:role/*")
		}},
		{name: "member trust: a service", mutate: func(t *testing.T, d orgDeployment) {
			p := statement(d.member, "ExecutionRole", 0).get("Principal")
			p.Content = append(p.Content, yamlScalar("Service"), yamlScalar("lambda.amazonaws.com"))
		}},
		{name: "the function role writes logs in its home Region only", mutate: func(t *testing.T, d orgDeployment) {
			res := cfnFindStatement(t, d.roles, "Logs").get("Resource")
			res.Value = strings.Replace(res.Value, ":logs:*:", ":logs:${AWS::Region}:", 1)
		}},
		{name: "the function role assumes roles outside the organization", mutate: func(t *testing.T, d orgDeployment) {
			st := cfnFindStatement(t, d.roles, "AssumeExecutionRole")
			st.Content = st.Content[:len(st.Content)-2]
		}},
		{name: "a Region's stack creates a role", mutate: func(t *testing.T, d orgDeployment) {
			res := d.regional.get("Resources")
			res.Content = append(res.Content, yamlScalar("RegionRole"), &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				yamlScalar("Type"), yamlScalar("AWS::IAM::Role"),
			}})
		}},
		{name: "a Region's function assumes another role than the rule names", mutate: func(t *testing.T, d orgDeployment) {
			*d.regional.resource(cfnFunctionID).get("Properties", "Environment", "Variables", envExecutionRoleName).Node = *yamlScalar("other-role")
		}},
		{name: "a Region's function runs as its own role", mutate: func(t *testing.T, d orgDeployment) {
			*d.regional.resource(cfnFunctionID).get("Properties", "Role").Node = *yamlScalar("arn:aws:iam::111111111111:role/regional")
		}},
		{name: "the member role's name drifts from the function's", mutate: func(t *testing.T, d orgDeployment) {
			*d.member.get("Parameters", "ExecutionRoleName", "Default").Node = *yamlScalar("member-execution")
		}},
	}
	for _, tt := range fitTests {
		t.Run(tt.name, func(t *testing.T) {
			d := loadOrgDeployment(t)
			require.Empty(t, orgFitProblems(t, d), "the templates themselves must pass")
			tt.mutate(t, d)
			assert.NotEmpty(t, orgFitProblems(t, d))
		})
	}

	alarmTests := []struct {
		name   string
		params map[string]string
		mutate func(t *testing.T, tpl cfnNode)
	}{
		{name: "no dropped-events alarm", mutate: func(t *testing.T, tpl cfnNode) {
			res := tpl.get("Resources")
			i := slices.Index(res.keys(), "RuleDroppedEventsAlarm")
			res.Content = slices.Delete(res.Content, 2*i, 2*i+2)
		}},
		{name: "a silence alarm on a rule that never sweeps", params: map[string]string{"TriggerMode": "ChangeOnly"}, mutate: func(t *testing.T, tpl cfnNode) {
			alarm := tpl.resource("RuleSilenceAlarm")
			i := slices.Index(alarm.keys(), "Condition")
			alarm.Content = slices.Delete(alarm.Content, 2*i, 2*i+2)
		}},
		{name: "a silence window as long as the sweep", params: map[string]string{"MaximumExecutionFrequency": "Six_Hours"}, mutate: func(t *testing.T, tpl cfnNode) {
			props := tpl.resource("RuleSilenceAlarm").get("Properties")
			*props.get("EvaluationPeriods").Node = *yamlScalar("6")
			*props.get("DatapointsToAlarm").Node = *yamlScalar("6")
		}},
		{name: "a silence window beyond CloudWatch's range", params: map[string]string{"MaximumExecutionFrequency": "TwentyFour_Hours"}, mutate: func(t *testing.T, tpl cfnNode) {
			props := tpl.resource("RuleSilenceAlarm").get("Properties")
			*props.get("Period").Node = *yamlScalar("1800")
			*props.get("EvaluationPeriods").Node = *yamlScalar("49")
			*props.get("DatapointsToAlarm").Node = *yamlScalar("49")
		}},
		{name: "silence counted as no data", mutate: func(t *testing.T, tpl cfnNode) {
			*tpl.resource("RuleSilenceAlarm").get("Properties", "TreatMissingData").Node = *yamlScalar("notBreaching")
		}},
		{name: "an alarm that notifies nobody", params: map[string]string{"AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:alarms"}, mutate: func(t *testing.T, tpl cfnNode) {
			props := tpl.resource("RuleDroppedEventsAlarm").get("Properties")
			i := slices.Index(props.keys(), "AlarmActions")
			props.Content = slices.Delete(props.Content, 2*i, 2*i+2)
		}},
	}
	for _, tt := range alarmTests {
		for _, path := range []string{ruleTemplatePath, organizationTemplatePath} {
			t.Run(tt.name+"/"+filepath.Base(path), func(t *testing.T) {
				tpl := loadTemplate(t, path)
				require.Empty(t, alarmProblems(newCFNStack(t, tpl, tt.params)), "the template itself must pass")
				tt.mutate(t, tpl)
				assert.NotEmpty(t, alarmProblems(newCFNStack(t, tpl, tt.params)))
			})
		}
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
	// logs is "" when the role must not grant the runtime's logs actions, otherwise where it
	// grants them: cfnLogsOwnGroup or cfnLogsEveryRegion.
	logs string
	// assumeRole is "" when the role must not grant sts:AssumeRole, cfnAssumeAlways when it grants it
	// unconditionally, or else the template condition the grant must sit under.
	assumeRole string
	// conditional lists, by template condition, exactly the actions granted only under it.
	conditional map[string][]string
}

// cfnParamGrants are the actions a rule parameter adds, by the template condition (the
// parameter is "true") that grants them in template.yaml and deploy/member-role.yaml.
var cfnParamGrants = map[string][]string{
	"AllowsCentralEndpoints": centralEndpointActions(),
	"IgnoresUnusedVpcs":      unusedVPCActions(),
	"ImportsFindings":        findingActions(),
}

// The only resources the Security Hub actions may have: the account's own product for
// BatchImportFindings, its hub for GetFindings; in the stack's Region (template.yaml), or in any
// (the member role serves every Region).
var cfnFindingResources = map[string][]string{
	actionBatchImportFindings: {
		"arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default",
		"arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default",
	},
	actionGetFindings: {
		"arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default",
		"arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default",
	},
}

const cfnAssumeAlways = "(always)"

// Where a function role lets the runtime write: its stack's log group, or the function's log group
// of every Region when one role serves them all.
const (
	cfnLogsOwnGroup    = "(own log group)"
	cfnLogsEveryRegion = "arn:${AWS::Partition}:logs:*:${AWS::AccountId}:log-group:/aws/lambda/${RuleName}:*"
)

// roleProblems returns how role's inline policies differ from want, one sentence each.
func roleProblems(role cfnNode, want cfnRoleWant) []string {
	var problems, evaluation []string
	var sawLogs, sawAssume bool
	conditional := map[string][]string{}
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
			if want.logs == "" {
				problems = append(problems, "a Logs statement where none belongs")
			}
			if !slices.Equal(sortedCopy(st.actions), cfnLogsActions) {
				problems = append(problems, "the Logs statement grants "+strings.Join(st.actions, ", "))
			}
			switch res := st.node.get("Resource"); want.logs {
			case cfnLogsOwnGroup:
				if getAtt(res.Node) != cfnLogGroupID+".Arn" {
					problems = append(problems, "the Logs statement is not scoped to "+cfnLogGroupID)
				}
			default:
				if subTemplate(res.Node) != want.logs {
					problems = append(problems, "the Logs statement is not scoped to "+want.logs)
				}
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
		case st.condition != "" && want.conditional[st.condition] != nil:
			conditional[st.condition] = append(conditional[st.condition], st.actions...)
			for action, resources := range cfnFindingResources {
				if !slices.Contains(st.actions, action) {
					continue
				}
				if res := subTemplate(st.node.get("Resource").Node); len(st.actions) != 1 || !slices.Contains(resources, res) {
					problems = append(problems, "statement "+st.sid+" does not grant "+action+" alone on the account's own "+strings.Join(resources, " or "))
				}
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
	if want.logs != "" && !sawLogs {
		problems = append(problems, "no Logs statement")
	}
	if want.assumeRole != "" && !sawAssume {
		problems = append(problems, "no sts:AssumeRole statement")
	}
	for cond, actions := range want.conditional {
		if got, wantSorted := slices.Compact(sortedCopy(conditional[cond])), sortedCopy(actions); !slices.Equal(got, wantSorted) {
			problems = append(problems, "under condition "+cond+" grants "+strings.Join(got, ", ")+", not "+strings.Join(wantSorted, ", "))
		}
		for _, a := range actions {
			if slices.Contains(evaluation, a) {
				problems = append(problems, "grants "+a+" unconditionally, which only condition "+cond+" needs")
			}
		}
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
	return newCFNStackAt(t, tpl, overrides, "aws", "us-east-1", "123456789012")
}

// newCFNStackAt is newCFNStack for a stack in account of region, in partition.
func newCFNStackAt(t *testing.T, tpl cfnNode, overrides map[string]string, partition, region, account string) *cfnStack {
	s := &cfnStack{t: t, tpl: tpl, params: map[string]string{
		"AWS::Partition": partition, "AWS::Region": region, "AWS::AccountId": account,
	}}
	params := tpl.get("Parameters")
	for _, name := range params.keys() {
		s.params[name] = params.get(name, "Default").str()
	}
	for name, v := range overrides {
		_, ok := s.params[name]
		require.True(t, ok || strings.HasPrefix(name, "AWS::"), "no parameter %s", name)
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
	case "Fn::Select":
		require.Len(s.t, arg.Content, 2)
		i, err := strconv.Atoi(arg.Content[0].Value)
		require.NoError(s.t, err, "Fn::Select index")
		list := s.list(arg.Content[1])
		require.Less(s.t, i, len(list), "Fn::Select index %d", i)
		return list[i]
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

// list returns the strings n evaluates to: a sequence, or an Fn::Split.
func (s *cfnStack) list(n *yaml.Node) []string {
	if name, arg := intrinsic(n); name == "Fn::Split" {
		require.Len(s.t, arg.Content, 2)
		return strings.Split(s.value(arg.Content[1]), arg.Content[0].Value)
	}
	require.Equal(s.t, yaml.SequenceNode, n.Kind, "list of a %v", n.Kind)
	out := make([]string, len(n.Content))
	for i, item := range n.Content {
		out[i] = s.value(item)
	}
	return out
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

// The conditions that grant a rule parameter's actions hold exactly when the template
// parameter of the same name is "true".
func TestTemplateParamGrantConditions(t *testing.T) {
	params := map[string]string{"AllowsCentralEndpoints": "AllowCentralEndpoints", "IgnoresUnusedVpcs": "IgnoreUnusedVpcs", "ImportsFindings": "SecurityHubFindings"}
	for _, path := range []string{ruleTemplatePath, memberRoleTemplatePath} {
		tpl := loadTemplate(t, path)
		for cond := range cfnParamGrants {
			name, arg := intrinsic(tpl.get("Conditions", cond).Node)
			require.Equal(t, "Fn::Equals", name, "%s: condition %s", path, cond)
			require.Len(t, arg.Content, 2, "%s: condition %s", path, cond)
			assert.Equal(t, params[cond], cfnRef(arg.Content[0]), "%s: condition %s", path, cond)
			assert.Equal(t, "true", arg.Content[1].Value, "%s: condition %s", path, cond)
			assert.True(t, tpl.get("Parameters", params[cond]).ok(), "%s: parameter %s", path, params[cond])
		}
	}
}

// The automation rule that suppresses AWS Config's copy of the findings exists only when asked
// for, and matches this rule's Config findings only: a missing criterion would suppress every
// Config finding of the account.
func TestTemplateSuppressConfigFindings(t *testing.T) {
	tpl := loadTemplate(t, ruleTemplatePath)
	assert.Equal(t, "false", tpl.get("Parameters", "SuppressConfigFindings", "Default").str(), "off by default")
	name, arg := intrinsic(tpl.get("Conditions", "SuppressesConfigFindings").Node)
	require.Equal(t, "Fn::Equals", name)
	assert.Equal(t, "SuppressConfigFindings", cfnRef(arg.Content[0]))
	assert.Equal(t, "true", arg.Content[1].Value)

	r := tpl.resource("SuppressConfigFindingsRule")
	require.True(t, r.ok())
	assert.Equal(t, "AWS::SecurityHub::AutomationRule", r.get("Type").str())
	assert.Equal(t, "SuppressesConfigFindings", r.get("Condition").str())
	criteria := r.get("Properties", "Criteria")
	assert.ElementsMatch(t, []string{"ProductName", "Title", "ResourceType"}, criteria.keys())
	for key, want := range map[string]string{"ProductName": "Config", "ResourceType": findings.ResourceTypeVPC} {
		items := criteria.get(key).items()
		require.Len(t, items, 1, key)
		assert.Equal(t, want, items[0].get("Value").str(), key)
		assert.Equal(t, "EQUALS", items[0].get("Comparison").str(), key)
	}
	title := criteria.get("Title").items()
	require.Len(t, title, 1)
	assert.Equal(t, "RuleName", cfnRef(title[0].get("Value").Node), "Config titles its findings with the rule's name")
	assert.Equal(t, "EQUALS", title[0].get("Comparison").str())
	actions := r.get("Properties", "Actions").items()
	require.Len(t, actions, 1)
	assert.Equal(t, "SUPPRESSED", actions[0].get("FindingFieldsUpdate", "Workflow", "Status").str())
}
