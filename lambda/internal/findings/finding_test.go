package findings_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const (
	testAccount = "123456789012"
	testRegion  = "eu-west-1"
	testRule    = "ec2-vpc-endpoint-enabled"
	testVPCID   = "vpc-0a1b2c3d4e5f60718"
)

var testTime = time.Date(2026, 3, 2, 6, 0, 0, 125_678_000, time.UTC)

func testVPC() *rule.VPC {
	return &rule.VPC{ID: testVPCID, OwnerID: testAccount, CIDRBlocks: []string{"10.0.0.0/16", "10.1.0.0/16"}, Tags: map[string]string{"team": "payments"}}
}

func input(c rule.Compliance, annotation string) findings.Input {
	p, err := rule.ParseParams(`{"requirePrivateDns": "true", "minAvailabilityZones": "3", "requireHttpsFromVpc": "true", "forbidFullAccessPolicy": "true"}`, testRegion)
	if err != nil {
		panic(err)
	}
	return findings.Input{
		Result:    rule.Result{ResourceType: rule.ResourceTypeVPC, ResourceID: testVPCID, Compliance: c, Annotation: annotation},
		VPC:       testVPC(),
		Params:    p,
		Partition: "aws", Region: testRegion, AccountID: testAccount, RuleName: testRule,
		EvaluatedAt: testTime,
	}
}

func TestBuildCompliance(t *testing.T) {
	tests := []struct {
		name                             string
		in                               findings.Input
		status, severity, record         string
		requirements                     []string
		recommendationHas                []string
		resourceHasDetails, resourceTags bool
	}{
		{
			name:   "COMPLIANT: passed, informational, active",
			in:     input(rule.Compliant, "vpce-0ec2 (com.amazonaws.eu-west-1.ec2) is an available Interface endpoint (passes private DNS)."),
			status: "PASSED", severity: "INFORMATIONAL", record: "ACTIVE",
			requirements:       []string{"EC2.10"},
			recommendationHas:  []string{"No action needed"},
			resourceHasDetails: true, resourceTags: true,
		},
		{
			name: "NON_COMPLIANT: failed, medium, active, with the failed checks",
			in: input(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.eu-west-1.ec2: vpce-0ec2 has no security group allowing TCP 443 from the VPC, "+
				"has private DNS disabled, spans 1 AZ (needs 3), has a full-access policy."),
			status: "FAILED", severity: "MEDIUM", record: "ACTIVE",
			requirements: []string{"EC2.10", "ec2-vpc-endpoint-rule/requireHttpsFromVpc", "ec2-vpc-endpoint-rule/requirePrivateDns",
				"ec2-vpc-endpoint-rule/minAvailabilityZones", "ec2-vpc-endpoint-rule/forbidFullAccessPolicy"},
			recommendationHas: []string{"In " + testVPCID, "interface VPC endpoint for the EC2 API", "private DNS enabled", "at least 3 Availability Zones", "TCP 443 from 10.0.0.0/16, 10.1.0.0/16", "and an endpoint policy narrower than full access.",
				"ec2-vpc-endpoint-rule remediate --vpc-id " + testVPCID + " --region eu-west-1 plans the fix; --apply makes it."},
			resourceHasDetails: true, resourceTags: true,
		},
		{
			name:   "NON_COMPLIANT, no endpoint: EC2.10 alone",
			in:     input(rule.NonCompliant, "No Interface endpoint for com.amazonaws.eu-west-1.ec2: create one with private DNS in subnets of several AZs."),
			status: "FAILED", severity: "MEDIUM", record: "ACTIVE",
			requirements:       []string{"EC2.10"},
			recommendationHas:  []string{"create (or fix"},
			resourceHasDetails: true, resourceTags: true,
		},
		{
			name:   "NOT_APPLICABLE (out of scope): not available, archived",
			in:     input(rule.NotApplicable, "Exempted by tag skip (rule parameter exemptTag)."),
			status: "NOT_AVAILABLE", severity: "INFORMATIONAL", record: "ARCHIVED",
			requirements:       []string{"EC2.10"},
			recommendationHas:  []string{"archived"},
			resourceHasDetails: true, resourceTags: true,
		},
		{
			name: "gone VPC: archived, known by ID only",
			in: func() findings.Input {
				in := input(rule.NotApplicable, "VPC no longer exists in eu-west-1.")
				in.VPC = nil
				return in
			}(),
			status: "NOT_AVAILABLE", severity: "INFORMATIONAL", record: "ARCHIVED",
			requirements:      []string{"EC2.10"},
			recommendationHas: []string{"archived"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := findings.Build(tt.in)
			assert.Equal(t, tt.status, f.Compliance.Status)
			assert.Equal(t, tt.requirements, f.Compliance.RelatedRequirements)
			assert.Equal(t, tt.severity, f.FindingProviderFields.Severity.Label)
			assert.Equal(t, tt.severity, f.Severity.Label)
			assert.Equal(t, tt.record, f.RecordState)
			assert.Equal(t, tt.in.Result.Annotation, f.Description)
			for _, want := range tt.recommendationHas {
				assert.Contains(t, f.Remediation.Recommendation.Text, want)
			}
			assert.Equal(t, "https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-10", f.Remediation.Recommendation.URL)

			assert.Equal(t, "2018-10-08", f.SchemaVersion)
			assert.Equal(t, "ec2-vpc-endpoint-rule/"+testRule+"/"+testVPCID, f.ID)
			assert.Equal(t, "ec2-vpc-endpoint-rule/"+testRule, f.GeneratorID)
			assert.Equal(t, "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default", f.ProductARN)
			assert.Equal(t, testAccount, f.AwsAccountID)
			assert.Equal(t, []string{"Software and Configuration Checks/AWS Security Best Practices"}, f.Types)
			assert.Equal(t, f.Types, f.FindingProviderFields.Types)
			assert.Equal(t, "EC2.10 "+testVPCID+" should reach the EC2 API through an interface VPC endpoint", f.Title)
			assert.Equal(t, "2026-03-02T06:00:00.125Z", f.UpdatedAt)
			assert.Equal(t, f.UpdatedAt, f.CreatedAt, "a new finding: CreatedAt and UpdatedAt the same")

			require.Len(t, f.Resources, 1)
			r := f.Resources[0]
			assert.Equal(t, "AwsEc2Vpc", r.Type)
			assert.Equal(t, "arn:aws:ec2:eu-west-1:123456789012:vpc/"+testVPCID, r.ID)
			assert.Equal(t, "aws", r.Partition)
			assert.Equal(t, testRegion, r.Region)
			if tt.resourceTags {
				assert.Equal(t, map[string]string{"team": "payments"}, r.Tags)
			} else {
				assert.Nil(t, r.Tags)
			}
			if tt.resourceHasDetails {
				require.NotNil(t, r.Details)
				assert.Equal(t, []findings.CIDRBlock{{CIDRBlock: "10.0.0.0/16", CIDRBlockState: "associated"}, {CIDRBlock: "10.1.0.0/16", CIDRBlockState: "associated"}},
					r.Details.AwsEc2Vpc.CIDRBlockAssociationSet)
			} else {
				assert.Nil(t, r.Details)
			}
		})
	}
}

// AWS's limits, as AWS documents them: Id and GeneratorId 512, Title 256, Description 1024,
// Recommendation.Text 512 characters.
func TestBuildLimits(t *testing.T) {
	long := strings.Repeat("vpce-0123456789abcdef0 is pendingAcceptance; ", 100) // 4,600 characters
	in := input(rule.NonCompliant, "No qualifying Interface endpoint for com.amazonaws.eu-west-1.ec2: "+long)
	in.RuleName = strings.Repeat("r", 128) // Config's longest rule name
	p, err := rule.ParseParams(`{"serviceNames": "ec2, ecr.api, ecr.dkr, ssm, ssmmessages, ec2messages, logs, sts, kms, secretsmanager, monitoring, sqs, sns"}`, testRegion)
	require.NoError(t, err)
	in.Params = p
	in.VPC.CIDRBlocks = []string{"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16",
		"10.7.0.0/16", "10.8.0.0/16", "10.9.0.0/16", "10.10.0.0/16", "10.11.0.0/16", "10.12.0.0/16", "10.13.0.0/16", "10.14.0.0/16"}
	f := findings.Build(in)

	n := utf8.RuneCountInString
	assert.LessOrEqual(t, n(f.ID), 512)
	assert.LessOrEqual(t, n(f.GeneratorID), 512)
	assert.LessOrEqual(t, n(f.Title), 256)
	assert.LessOrEqual(t, n(f.Description), 1024)
	assert.Greater(t, n(f.Description), 1000, "cut at Security Hub's limit (on a word boundary), not at Config's 256")
	assert.True(t, strings.HasSuffix(f.Description, "…"))
	assert.True(t, strings.HasPrefix(in.Result.Annotation, strings.TrimSuffix(f.Description, "…")))
	assert.LessOrEqual(t, n(f.Remediation.Recommendation.Text), 512)
	assert.True(t, utf8.ValidString(f.Title) && utf8.ValidString(f.Description) && utf8.ValidString(f.Remediation.Recommendation.Text))
	assert.True(t, strings.HasSuffix(f.Remediation.Recommendation.Text,
		" ec2-vpc-endpoint-rule remediate --vpc-id "+testVPCID+" --region "+testRegion+
			" --service-names ec2,ecr.api,ecr.dkr,ssm,ssmmessages,ec2messages,logs,sts,kms,secretsmanager,monitoring,sqs,sns plans the fix; --apply makes it."),
		"the fix command survives the cut whole: %s", f.Remediation.Recommendation.Text)
}

// A common set of six services with every practice on made the recommendation longer than
// Security Hub's 512 characters, and the cut dropped the fix command at its end.
func TestBuildRecommendationKeepsCommand(t *testing.T) {
	in := input(rule.NonCompliant, "No qualifying Interface endpoint.")
	p, err := rule.ParseParams(`{"serviceNames": "ec2,ssm,ssmmessages,ec2messages,sts,logs", "requirePrivateDns": "true", "minAvailabilityZones": "3", "forbidFullAccessPolicy": "true"}`, testRegion)
	require.NoError(t, err)
	in.Params = p
	in.VPC.CIDRBlocks = []string{"10.0.0.0/16", "10.1.0.0/16", "100.64.0.0/16"}
	text := findings.Build(in).Remediation.Recommendation.Text

	assert.LessOrEqual(t, utf8.RuneCountInString(text), 512)
	assert.True(t, strings.HasPrefix(text, "In "+testVPCID+", create"), text)
	assert.True(t, strings.HasSuffix(text, " ec2-vpc-endpoint-rule remediate --vpc-id "+testVPCID+" --region "+testRegion+
		" --service-names ec2,ssm,ssmmessages,ec2messages,sts,logs plans the fix; --apply makes it."), text)
}

func TestBuildTimestamps(t *testing.T) {
	in := input(rule.Compliant, "ok.")
	in.EvaluatedAt = time.Date(2026, 3, 2, 7, 0, 0, 999_999_999, time.FixedZone("CET", 3600))
	in.CreatedAt = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	f := findings.Build(in)
	// RFC 3339 in UTC, to the millisecond, which is what Security Hub keeps.
	assert.Equal(t, "2026-03-02T06:00:00.999Z", f.UpdatedAt)
	assert.Equal(t, f.UpdatedAt, f.LastObservedAt)
	assert.Equal(t, "2026-01-05T00:00:00.000Z", f.CreatedAt, "a known creation time is kept")
	for _, ts := range []string{f.UpdatedAt, f.CreatedAt} {
		_, err := time.Parse(time.RFC3339, ts)
		assert.NoError(t, err)
	}
}

func TestBuildPartitions(t *testing.T) {
	for _, tt := range []struct{ partition, region, wantPartition string }{
		{"aws-cn", "cn-north-1", "aws-cn"},
		{"aws-us-gov", "us-gov-west-1", "aws-us-gov"},
		{"aws-iso", "us-iso-east-1", ""}, // ASFF's Partition has no value for it
	} {
		in := input(rule.Compliant, "ok.")
		in.Partition, in.Region = tt.partition, tt.region
		f := findings.Build(in)
		assert.Equal(t, "arn:"+tt.partition+":securityhub:"+tt.region+":123456789012:product/123456789012/default", f.ProductARN)
		assert.Equal(t, "arn:"+tt.partition+":ec2:"+tt.region+":123456789012:vpc/"+testVPCID, f.Resources[0].ID)
		assert.Equal(t, tt.wantPartition, f.Resources[0].Partition)
	}
}

// The JSON `audit --output asff` prints has no nulls and every required ASFF attribute.
func TestFindingJSON(t *testing.T) {
	b, err := json.Marshal(findings.Build(input(rule.NotApplicable, "VPC no longer exists in eu-west-1.")))
	require.NoError(t, err)
	assert.NotContains(t, string(b), "null")
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt"} {
		assert.Contains(t, m, k)
	}
}

func TestFindingSDK(t *testing.T) {
	f := findings.Build(input(rule.NonCompliant, "No Interface endpoint for com.amazonaws.eu-west-1.ec2."))
	s := f.SDK()
	assert.Equal(t, f.ID, *s.Id)
	assert.Equal(t, f.Description, *s.Description)
	assert.Equal(t, "FAILED", string(s.Compliance.Status))
	assert.Equal(t, "MEDIUM", string(s.FindingProviderFields.Severity.Label))
	assert.Equal(t, "ACTIVE", string(s.RecordState))
	assert.Equal(t, "10.0.0.0/16", *s.Resources[0].Details.AwsEc2Vpc.CidrBlockAssociationSet[0].CidrBlock)
	assert.Equal(t, "aws", string(s.Resources[0].Partition))
}
