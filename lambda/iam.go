package main

import (
	"slices"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/remediate"
)

// The IAM actions the function calls. template.yaml, the member-account role and the central
// function's role in deploy/ grant exactly these; lambda/template_test.go holds the templates
// against this list.
const (
	actionDescribeVPCs                     = "ec2:DescribeVpcs"
	actionDescribeVPCEndpoints             = "ec2:DescribeVpcEndpoints"
	actionDescribeSubnets                  = "ec2:DescribeSubnets"
	actionDescribeSecurityGroups           = "ec2:DescribeSecurityGroups"
	actionPutEvaluations                   = "config:PutEvaluations"
	actionGetComplianceDetailsByConfigRule = "config:GetComplianceDetailsByConfigRule"
	// actionAssumeRole is needed only by the central function of an organization-wide
	// deployment (rule parameter executionRoleName), on the member accounts' execution role.
	actionAssumeRole = "sts:AssumeRole"

	// Needed only with the rule parameters allowCentralEndpoints and ignoreUnusedVpcs; the
	// templates grant them under the condition that the parameter is on.
	actionDescribeVPCEndpointServices = "ec2:DescribeVpcEndpointServices"
	actionDescribeNetworkInterfaces   = "ec2:DescribeNetworkInterfaces"

	// actionListAccounts is the central function's own call in an organization deployment: it
	// refuses events of accounts outside the organization.
	actionListAccounts = "organizations:ListAccounts"
	// actionBatchImportFindings is needed only with the rule parameter securityHubFindings, in
	// the evaluated account, on its own product's ARN (product/<account>/default).
	actionBatchImportFindings = "securityhub:BatchImportFindings"
	// actionGetFindings reads back, with securityHubFindings, the creation time of findings
	// already imported, on the account's hub (hub/default).
	actionGetFindings = "securityhub:GetFindings"
)

// The IAM actions the audit command calls with the user's credentials, besides the evaluation's
// EC2 Describe actions, sts:AssumeRole (--role-name) and organizations:ListAccounts
// (--organization); no template grants them (the user's own role does).
const (
	actionGetCallerIdentity = "sts:GetCallerIdentity"
	actionDescribeRegions   = "ec2:DescribeRegions" // --regions all, in each account
)

// evaluationActions returns the actions the function needs in the account it evaluates, sorted.
func evaluationActions() []string {
	return []string{
		actionGetComplianceDetailsByConfigRule,
		actionPutEvaluations,
		actionDescribeSecurityGroups,
		actionDescribeSubnets,
		actionDescribeVPCEndpoints,
		actionDescribeVPCs,
	}
}

// centralEndpointActions returns the actions allowCentralEndpoints adds, sorted.
func centralEndpointActions() []string {
	return []string{
		actionDescribeVPCEndpointServices,
		dns.ActionGetHostedZone,
		dns.ActionListHostedZonesByVPC,
		dns.ActionListResourceRecordSets,
		dns.ActionListProfileAssociations,
		dns.ActionListProfileResourceAssociations,
		dns.ActionGetResolverRule,
		dns.ActionListResolverRuleAssociations,
		dns.ActionListResolverRules,
	}
}

// unusedVPCActions returns the actions ignoreUnusedVpcs adds.
func unusedVPCActions() []string {
	return []string{actionDescribeNetworkInterfaces}
}

// organizationActions returns the actions the central function of an organization deployment
// calls with its own role, besides sts:AssumeRole on the execution roles.
func organizationActions() []string {
	return []string{actionListAccounts}
}

// remediationActions returns the actions of the remediation function (template parameter
// Remediation), sorted: the reads and writes of lambda/internal/remediate, without the VPC's DNS
// attributes, which the function never turns on. The remediate command may call
// remediate.WriteActions(true) with --enable-vpc-dns.
func remediationActions() []string {
	return slices.Sorted(slices.Values(slices.Concat(remediate.ReadActions(), remediate.WriteActions(false))))
}

// findingActions returns the actions securityHubFindings adds.
func findingActions() []string {
	return []string{actionBatchImportFindings, actionGetFindings}
}
