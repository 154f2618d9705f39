package rule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// allRegions holds a region of every partition, and the regions of AWS CDK's exception table.
var allRegions = []string{
	"us-east-1", "eu-west-3", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "us-iso-east-1", "us-iso-west-1",
	"us-isob-east-1", "us-isob-west-1", "us-isof-south-1", "us-isof-east-1", "eu-isoe-west-1", "eusc-de-east-1",
}

// TestServiceFullName holds the names to those AWS CDK gives the same services, in
// packages/aws-cdk-lib/aws-ec2/lib/vpc-endpoint.ts (InterfaceVpcEndpointAwsService:
// getDefaultEndpointPrefix and its VPC_ENDPOINT_SERVICE_EXCEPTIONS, getDefaultEndpointSuffix):
// the prefix is per service and region, and services not in the table keep com.amazonaws.
func TestServiceFullName(t *testing.T) {
	tests := []struct{ service, region, want string }{
		{"ec2", "us-east-1", "com.amazonaws.us-east-1.ec2"},
		{"ec2", "us-gov-west-1", "com.amazonaws.us-gov-west-1.ec2"},
		{"ec2", "cn-north-1", "cn.com.amazonaws.cn-north-1.ec2"},
		{"ec2", "cn-northwest-1", "cn.com.amazonaws.cn-northwest-1.ec2"},
		{"ssm", "cn-north-1", "com.amazonaws.cn-north-1.ssm"},
		{"account", "cn-north-1", "com.amazonaws.cn-north-1.account"},
		{"account", "cn-northwest-1", "cn.com.amazonaws.cn-northwest-1.account"},
		{"transcribe", "cn-north-1", "cn.com.amazonaws.cn-north-1.transcribe.cn"},
		{"ec2", "us-iso-east-1", "gov.ic.c2s.us-iso-east-1.ec2"},
		{"ec2", "us-iso-west-1", "gov.ic.c2s.us-iso-west-1.ec2"},
		{"ec2-fips", "us-iso-east-1", "gov.ic.c2s.us-iso-east-1.ec2-fips"},
		{"monitoring", "us-iso-west-1", "gov.ic.c2s.us-iso-west-1.monitoring"},
		{"monitoring", "us-iso-east-1", "com.amazonaws.us-iso-east-1.monitoring"},
		{"ssm", "us-iso-east-1", "com.amazonaws.us-iso-east-1.ssm"},
		{"ec2", "us-isob-east-1", "gov.sgov.sc2s.us-isob-east-1.ec2"},
		{"ec2", "us-isob-west-1", "com.amazonaws.us-isob-west-1.ec2"},
		{"ecr.api", "us-isob-west-1", "gov.sgov.sc2s.us-isob-west-1.ecr.api"},
		{"ec2", "us-isof-south-1", "com.amazonaws.us-isof-south-1.ec2"},
		{"ecr.api", "us-isof-south-1", "gov.ic.hci.csp.us-isof-south-1.ecr.api"},
		{"ebs", "us-isof-east-1", "gov.ic.hci.csp.us-isof-east-1.ebs"},
		{"execute-api", "eu-isoe-west-1", "uk.adc-e.cloud.eu-isoe-west-1.execute-api"},
		{"ec2", "eu-isoe-west-1", "com.amazonaws.eu-isoe-west-1.ec2"},
		{"securityhub", "eusc-de-east-1", "eu.amazonaws.eusc-de-east-1.securityhub"},
		{"ec2", "eusc-de-east-1", "com.amazonaws.eusc-de-east-1.ec2"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rule.Service{Name: tt.service}.FullName(tt.region), "%s in %s", tt.service, tt.region)
	}
}

func TestServiceMatches(t *testing.T) {
	ec2 := rule.Service{Name: "ec2"}
	tests := []struct {
		name, region string
		want         bool
	}{
		{"com.amazonaws.us-east-1.ec2", "us-east-1", true},
		{"com.amazonaws.us-east-1.ec2-fips", "us-east-1", true},
		{"com.amazonaws.us-east-1.ec2messages", "us-east-1", false},
		{"com.amazonaws.us-west-2.ec2", "us-east-1", false},
		{"cn.com.amazonaws.us-east-1.ec2", "us-east-1", false},
		{"cn.com.amazonaws.cn-north-1.ec2", "cn-north-1", true},
		{"com.amazonaws.cn-north-1.ec2", "cn-north-1", true},
		{"gov.ic.c2s.us-iso-east-1.ec2", "us-iso-east-1", true},
		{"gov.ic.c2s.us-iso-east-1.ec2-fips", "us-iso-east-1", true},
		{"com.amazonaws.us-iso-east-1.ec2", "us-iso-east-1", true},
		{"gov.sgov.sc2s.us-iso-east-1.ec2", "us-iso-east-1", false},
		{"gov.ic.c2s.us-iso-west-1.ec2", "us-iso-east-1", false},
		{"gov.sgov.sc2s.us-isob-east-1.ec2", "us-isob-east-1", true},
		{"gov.ic.c2s.us-isob-east-1.ec2", "us-isob-east-1", false},
		{"gov.ic.hci.csp.us-isof-south-1.ec2", "us-isof-south-1", true},
		{"uk.adc-e.cloud.eu-isoe-west-1.ec2", "eu-isoe-west-1", true},
		{"eu.amazonaws.eusc-de-east-1.ec2", "eusc-de-east-1", true},
		{"gov.ic.c2s.us-iso-east-1.ec2.cn", "us-iso-east-1", false},
		{"gov.ic.c2s.us-iso-east-1", "us-iso-east-1", false},
		{"gov.ic.c2s.ec2", "us-iso-east-1", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ec2.Matches(tt.name, tt.region), "%s in %s", tt.name, tt.region)
	}
	transcribe := rule.Service{Name: "transcribe"}
	assert.True(t, transcribe.Matches("cn.com.amazonaws.cn-north-1.transcribe.cn", "cn-north-1"))
	assert.False(t, transcribe.Matches("com.amazonaws.us-east-1.transcribe.cn", "us-east-1"), "the .cn form is China's only")
}

// TestServiceFullNameIsMatched holds the name an annotation asks for to the names that count:
// creating what the annotation names must make the VPC pass.
func TestServiceFullNameIsMatched(t *testing.T) {
	for _, region := range allRegions {
		for _, name := range []string{"ec2", "ec2-fips", "ecr.api", "ecr.dkr", "s3", "transcribe", "monitoring", "execute-api", "ssm"} {
			svc := rule.Service{Name: name}
			full := svc.FullName(region)
			assert.True(t, svc.Matches(full, region), "%s in %s: %s", name, region, full)
			assert.Contains(t, svc.EndpointServiceNames(region), full, "the filter asks for %s", full)
			p, err := rule.ParseParams(`{"serviceNames": "`+full+`"}`, region)
			if assert.NoError(t, err, full) {
				assert.Equal(t, []rule.Service{svc}, p.Services, "%s parses back to its service", full)
			}
		}
	}
}
