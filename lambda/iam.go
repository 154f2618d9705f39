package main

// The IAM actions the function calls. template.yaml and the member-account role in deploy/
// grant exactly these; lambda/template_test.go holds the templates against this list.
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
