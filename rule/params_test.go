package rule_test

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// defaults returns the Params an empty ruleParameters yields, changed by change.
func defaults(change func(*rule.Params)) rule.Params {
	p := rule.Params{Services: []rule.Service{{Name: "ec2"}}, MinAvailabilityZones: 1}
	if change != nil {
		change(&p)
	}
	return p
}

func services(names ...string) func(*rule.Params) {
	return func(p *rule.Params) {
		p.Services = nil
		for _, n := range names {
			p.Services = append(p.Services, rule.Service{Name: n})
		}
	}
}

func TestParseParams(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		region string // testRegion when empty
		want   rule.Params
	}{
		{name: "empty input", raw: "", want: defaults(nil)},
		{name: "whitespace input", raw: " \n\t ", want: defaults(nil)},
		{name: "empty object", raw: "{}", want: defaults(nil)},
		{name: "JSON null", raw: "null", want: defaults(nil)},
		{name: "one short name", raw: `{"serviceNames": "ecr.api"}`, want: defaults(services("ecr.api"))},
		{name: "list with spaces", raw: `{"serviceNames": " ec2 ,  ecr.api "}`, want: defaults(services("ec2", "ecr.api"))},
		{name: "duplicates are dropped", raw: `{"serviceNames": "ec2, EC2, com.amazonaws.us-east-1.ec2"}`, want: defaults(services("ec2"))},
		{name: "full name for this region", raw: `{"serviceNames": "com.amazonaws.us-east-1.ec2"}`, want: defaults(services("ec2"))},
		{name: "full FIPS name", raw: `{"serviceNames": "com.amazonaws.us-east-1.ec2-fips"}`, want: defaults(services("ec2-fips"))},
		{name: "full name in upper case", raw: `{"serviceNames": "COM.AMAZONAWS.US-EAST-1.EC2"}`, want: defaults(services("ec2"))},
		{
			name:   "China full name",
			raw:    `{"serviceNames": "cn.com.amazonaws.cn-north-1.ec2, com.amazonaws.cn-north-1.ecr.api"}`,
			region: "cn-north-1",
			want:   defaults(services("ec2", "ecr.api")),
		},
		{
			// AWS CDK, aws-ec2/lib/vpc-endpoint.ts, getDefaultEndpointPrefix: the ISO, ISO-B,
			// ISO-F, ISO-E and European Sovereign Cloud prefixes.
			name:   "ISO full name",
			raw:    `{"serviceNames": "gov.ic.c2s.us-iso-east-1.ec2, com.amazonaws.us-iso-east-1.ssm"}`,
			region: "us-iso-east-1",
			want:   defaults(services("ec2", "ssm")),
		},
		{name: "ISO-B full name", raw: `{"serviceNames": "gov.sgov.sc2s.us-isob-east-1.ec2"}`, region: "us-isob-east-1", want: defaults(services("ec2"))},
		{name: "ISO-F full name", raw: `{"serviceNames": "gov.ic.hci.csp.us-isof-south-1.ecr.api"}`, region: "us-isof-south-1", want: defaults(services("ecr.api"))},
		{name: "ISO-E full name", raw: `{"serviceNames": "uk.adc-e.cloud.eu-isoe-west-1.ecr.dkr"}`, region: "eu-isoe-west-1", want: defaults(services("ecr.dkr"))},
		{name: "European Sovereign Cloud full name", raw: `{"serviceNames": "eu.amazonaws.eusc-de-east-1.ecr.api"}`, region: "eusc-de-east-1", want: defaults(services("ecr.api"))},
		{
			// getDefaultEndpointSuffix in the same file: transcribe's name ends in ".cn" in China.
			name:   "China name with the .cn suffix",
			raw:    `{"serviceNames": "cn.com.amazonaws.cn-north-1.transcribe.cn, transcribe"}`,
			region: "cn-north-1",
			want:   defaults(services("transcribe")),
		},
		{name: "short names with dots and dashes", raw: `{"serviceNames": "sagemaker.featurestore-runtime, bedrock-agentcore.gateway"}`, want: defaults(services("sagemaker.featurestore-runtime", "bedrock-agentcore.gateway"))},
		{name: "serviceName alias", raw: `{"serviceName": "ec2, ssm"}`, want: defaults(services("ec2", "ssm"))},
		{name: "empty alias beside serviceNames", raw: `{"serviceName": "", "serviceNames": "ssm"}`, want: defaults(services("ssm"))},
		{name: "empty alias alone", raw: `{"serviceName": " "}`, want: defaults(nil)},
		{
			name: "vpcIds of both lengths",
			raw:  `{"vpcIds": "vpc-0a1b2c3d4e5f60718, vpc-1a2b3c4d,vpc-1a2b3c4d"}`,
			want: defaults(func(p *rule.Params) { p.VPCIDs = []string{"vpc-0a1b2c3d4e5f60718", "vpc-1a2b3c4d"} }),
		},
		{name: "vpcIds empty", raw: `{"vpcIds": ""}`, want: defaults(nil)},
		{
			name: "exemptTag key",
			raw:  `{"exemptTag": "ec2-10-exempt"}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "ec2-10-exempt"} }),
		},
		{
			name: "exemptTag key=value",
			raw:  `{"exemptTag": " Compliance = exempt "}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "Compliance", Value: "exempt", HasValue: true} }),
		},
		{
			name: "exemptTag key= means an empty value",
			raw:  `{"exemptTag": "Compliance="}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "Compliance", HasValue: true} }),
		},
		{
			name: "exemptTag value may hold =",
			raw:  `{"exemptTag": "Note=a=b"}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "Note", Value: "a=b", HasValue: true} }),
		},
		{name: "exemptTag empty", raw: `{"exemptTag": ""}`, want: defaults(nil)},
		{
			// EC2 allows "=" in tag keys and values; exemptTag cannot name such a key.
			name: "exemptTagKey holding =",
			raw:  `{"exemptTagKey": "team=platform"}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "team=platform", Split: true} }),
		},
		{
			name: "exemptTagKey and exemptTagValue",
			raw:  `{"exemptTagValue": "a=b", "exemptTagKey": "x=y"}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "x=y", Value: "a=b", HasValue: true, Split: true} }),
		},
		{
			name: "empty exemptTagKey and exemptTagValue beside exemptTag are not set",
			raw:  `{"exemptTag": "k=v", "exemptTagKey": "", "exemptTagValue": ""}`,
			want: defaults(func(p *rule.Params) { p.ExemptTag = &rule.Tag{Key: "k", Value: "v", HasValue: true} }),
		},
		{
			name: "booleans as strings in any case",
			raw:  `{"requirePrivateDns": "TRUE", "requireHttpsFromVpc": "True", "forbidFullAccessPolicy": "false"}`,
			want: defaults(func(p *rule.Params) { p.RequirePrivateDNS = true; p.RequireHTTPSFromVPC = true }),
		},
		{
			name: "booleans and numbers unquoted",
			raw:  `{"requirePrivateDns": true, "forbidFullAccessPolicy": false, "minAvailabilityZones": 3}`,
			want: defaults(func(p *rule.Params) { p.RequirePrivateDNS = true; p.MinAvailabilityZones = 3 }),
		},
		{
			name: "empty optional parameters are not set",
			raw: `{"vpcIds": "", "exemptTag": "", "requirePrivateDns": "", "minAvailabilityZones": "",
				"requireHttpsFromVpc": "", "forbidFullAccessPolicy": "", "executionRoleName": "", "serviceName": "", "securityHubFindings": ""}`,
			want: defaults(nil),
		},
		{name: "minAvailabilityZones 2", raw: `{"minAvailabilityZones": " 2 "}`, want: defaults(func(p *rule.Params) { p.MinAvailabilityZones = 2 })},
		{name: "minAvailabilityZones 32", raw: `{"minAvailabilityZones": "32"}`, want: defaults(func(p *rule.Params) { p.MinAvailabilityZones = 32 })},
		{
			name: "executionRoleName",
			raw:  `{"executionRoleName": "ec2-vpc-endpoint-rule+member@org"}`,
			want: defaults(func(p *rule.Params) { p.ExecutionRoleName = "ec2-vpc-endpoint-rule+member@org" }),
		},
		{
			name: "every parameter",
			raw: `{"serviceNames": "ec2,ssm", "vpcIds": "vpc-1a2b3c4d", "exemptTag": "skip", "requirePrivateDns": "true",
				"minAvailabilityZones": "2", "requireHttpsFromVpc": "true", "forbidFullAccessPolicy": "true", "executionRoleName": "Role_1",
				"securityHubFindings": "true"}`,
			want: rule.Params{
				Services:               []rule.Service{{Name: "ec2"}, {Name: "ssm"}},
				VPCIDs:                 []string{"vpc-1a2b3c4d"},
				ExemptTag:              &rule.Tag{Key: "skip"},
				RequirePrivateDNS:      true,
				MinAvailabilityZones:   2,
				RequireHTTPSFromVPC:    true,
				ForbidFullAccessPolicy: true,
				ExecutionRoleName:      "Role_1",
				SecurityHubFindings:    true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region := tt.region
			if region == "" {
				region = testRegion
			}
			got, err := rule.ParseParams(tt.raw, region)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseParamsErrors(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		region string // testRegion when empty
		// wantIn are fragments the error must contain: the parameter's name first, then what
		// tells the user how to fix it.
		wantIn []string
	}{
		{
			// serviceNames is the one parameter whose "" is not "not set": when present it must
			// name at least one service, so a template cannot silently clear the list.
			name:   "serviceNames empty",
			raw:    `{"serviceNames": ""}`,
			wantIn: []string{"serviceNames", "must name at least one service"},
		},
		{
			name:   "serviceNames blank",
			raw:    `{"serviceNames": "  "}`,
			wantIn: []string{"serviceNames", "must name at least one service"},
		},
		{
			name:   "serviceNames only commas",
			raw:    `{"serviceNames": " , "}`,
			wantIn: []string{"serviceNames", "empty item at position 1"},
		},
		{
			name:   "serviceNames empty item",
			raw:    `{"serviceNames": "ec2,,ssm"}`,
			wantIn: []string{"serviceNames", "empty item at position 2"},
		},
		{
			name:   "serviceNames trailing comma",
			raw:    `{"serviceNames": "ec2,"}`,
			wantIn: []string{"serviceNames", "empty item at position 2"},
		},
		{
			name:   "exemptTag and exemptTagKey both given",
			raw:    `{"exemptTag": "k", "exemptTagKey": "k"}`,
			wantIn: []string{"exemptTag", "exemptTagKey", "not both"},
		},
		{
			name:   "exemptTag and exemptTagValue both given",
			raw:    `{"exemptTag": "k", "exemptTagValue": "v"}`,
			wantIn: []string{"exemptTag", "exemptTagValue", "not both"},
		},
		{
			name:   "exemptTagValue without exemptTagKey",
			raw:    `{"exemptTagValue": "v"}`,
			wantIn: []string{"exemptTagValue", "needs exemptTagKey"},
		},
		{
			// EC2's limits: a tag key of 1 to 128 characters, a value of up to 256.
			name:   "exemptTagKey too long",
			raw:    `{"exemptTagKey": "` + strings.Repeat("k", 129) + `"}`,
			wantIn: []string{"exemptTagKey", "longer than 128"},
		},
		{
			name:   "exemptTagValue too long",
			raw:    `{"exemptTagKey": "k", "exemptTagValue": "` + strings.Repeat("v", 257) + `"}`,
			wantIn: []string{"exemptTagValue", "longer than 256"},
		},
		{
			name:   "full name for another region",
			raw:    `{"serviceNames": "com.amazonaws.us-west-2.ec2"}`,
			wantIn: []string{"serviceNames", "us-west-2", "us-east-1", `use the short name "ec2"`},
		},
		{
			name:   "China full name for another region",
			raw:    `{"serviceNames": "cn.com.amazonaws.cn-northwest-1.ec2"}`,
			wantIn: []string{"serviceNames", "cn-northwest-1"},
		},
		{
			name:   "full name without a service",
			raw:    `{"serviceNames": "com.amazonaws.us-east-1"}`,
			wantIn: []string{"serviceNames", "com.amazonaws.<region>.<service>"},
		},
		{
			// A form AWS uses for some services, but not one the rule knows: taken as a short
			// name it could never match, and every VPC would be NON_COMPLIANT for good.
			name:   "full name of an unknown form",
			raw:    `{"serviceNames": "aws.api.us-east-1.qbusiness"}`,
			wantIn: []string{"serviceNames", `"aws.api.us-east-1.qbusiness"`, `prefix "aws.api"`, "com.amazonaws"},
		},
		{
			name:   "typo in the prefix",
			raw:    `{"serviceNames": "ec2, com.amazonws.us-east-1.ssm"}`,
			wantIn: []string{"serviceNames", `prefix "com.amazonws"`, "gov.ic.c2s"},
		},
		{
			name:   "prefix without a region",
			raw:    `{"serviceNames": "com.amazonaws.ec2"}`,
			wantIn: []string{"serviceNames", "names no region", "com.amazonaws.us-east-1.ec2"},
		},
		{
			name:   "region label in a short name",
			raw:    `{"serviceNames": "ec2.us-east-1"}`,
			wantIn: []string{"serviceNames", `its prefix "ec2" is none of`},
		},
		{
			name:   "region inside a label",
			raw:    `{"serviceNames": "ec2-us-east-1"}`,
			wantIn: []string{"serviceNames", `"ec2-us-east-1"`, "holds the region name us-east-1"},
		},
		{
			name:   "region inside a label of a longer name",
			raw:    `{"serviceNames": "ssm, com.amazonaws-us-east-1.ec2"}`,
			wantIn: []string{"serviceNames", "holds the region name us-east-1"},
		},
		{
			name:   "China prefix in a region of another partition",
			raw:    `{"serviceNames": "cn.com.amazonaws.us-east-1.ec2"}`,
			wantIn: []string{"serviceNames", "cn.com.amazonaws", "does not use", `use the short name "ec2"`},
		},
		{
			name:   "ISO prefix in a commercial region",
			raw:    `{"serviceNames": "gov.ic.c2s.us-east-1.ec2"}`,
			wantIn: []string{"serviceNames", "gov.ic.c2s", "does not use"},
		},
		{
			name:   "another ISO partition's prefix",
			raw:    `{"serviceNames": "gov.sgov.sc2s.us-iso-east-1.ec2"}`,
			region: "us-iso-east-1",
			wantIn: []string{"serviceNames", "gov.sgov.sc2s", "us-iso-east-1 does not use"},
		},
		{
			name:   "ISO full name for another region",
			raw:    `{"serviceNames": "gov.ic.c2s.us-iso-west-1.ec2"}`,
			region: "us-iso-east-1",
			wantIn: []string{"serviceNames", "names region us-iso-west-1", "evaluates region us-iso-east-1"},
		},
		{
			name:   "not a service name",
			raw:    `{"serviceNames": "ec2 api"}`,
			wantIn: []string{"serviceNames", `"ec2 api"`, "short service name"},
		},
		{
			name:   "alias and serviceNames both given",
			raw:    `{"serviceName": "ec2", "serviceNames": "ec2"}`,
			wantIn: []string{"serviceName", "serviceNames", "give only one"},
		},
		{
			name:   "alias given beside an empty serviceNames",
			raw:    `{"serviceName": "ec2", "serviceNames": ""}`,
			wantIn: []string{"serviceName", "give only one"},
		},
		{
			name:   "unknown parameter lists the accepted ones",
			raw:    `{"serviceNames": "ec2", "requirePrivateDNS": "true"}`,
			wantIn: []string{`"requirePrivateDNS"`, "accepted: allowCentralEndpoints, executionRoleName, exemptTag, exemptTagKey, exemptTagValue, forbidFullAccessPolicy, ignoreUnusedVpcs, minAvailabilityZones, requireHttpsFromVpc, requirePrivateDns, securityHubFindings, serviceName, serviceNames, trustedDnsAccounts, vpcIds"},
		},
		{
			name:   "vpcIds item is not a VPC ID",
			raw:    `{"vpcIds": "vpc-1a2b3c4d, subnet-1a2b3c4d"}`,
			wantIn: []string{"vpcIds", `"subnet-1a2b3c4d"`},
		},
		{
			name:   "vpcIds in upper case",
			raw:    `{"vpcIds": "vpc-1A2B3C4D"}`,
			wantIn: []string{"vpcIds", `"vpc-1A2B3C4D"`},
		},
		{
			name:   "vpcIds of a wrong length",
			raw:    `{"vpcIds": "vpc-1a2b3c4d5"}`,
			wantIn: []string{"vpcIds", `"vpc-1a2b3c4d5"`},
		},
		{
			name:   "vpcIds empty item",
			raw:    `{"vpcIds": "vpc-1a2b3c4d,,vpc-0a1b2c3d4e5f60718"}`,
			wantIn: []string{"vpcIds", "empty item"},
		},
		{
			name:   "exemptTag without key",
			raw:    `{"exemptTag": "=exempt"}`,
			wantIn: []string{"exemptTag", "empty tag key"},
		},
		{
			name:   "exemptTag key too long",
			raw:    `{"exemptTag": "` + strings.Repeat("k", 129) + `"}`,
			wantIn: []string{"exemptTag", "longer than 128"},
		},
		{
			name:   "exemptTag value too long",
			raw:    `{"exemptTag": "k=` + strings.Repeat("v", 257) + `"}`,
			wantIn: []string{"exemptTag", "longer than 256"},
		},
		{
			name:   "boolean not true or false",
			raw:    `{"requirePrivateDns": "yes"}`,
			wantIn: []string{"requirePrivateDns", `"yes"`, "true or false"},
		},
		{
			name:   "securityHubFindings not a boolean",
			raw:    `{"securityHubFindings": "on"}`,
			wantIn: []string{"securityHubFindings", `"on"`, "true or false"},
		},
		{
			name:   "boolean as a number",
			raw:    `{"forbidFullAccessPolicy": 1}`,
			wantIn: []string{"forbidFullAccessPolicy", `"1"`},
		},
		{
			name:   "minAvailabilityZones 0",
			raw:    `{"minAvailabilityZones": "0"}`,
			wantIn: []string{"minAvailabilityZones", `"0"`, "1 to 32"},
		},
		{
			name:   "minAvailabilityZones -1",
			raw:    `{"minAvailabilityZones": -1}`,
			wantIn: []string{"minAvailabilityZones", `"-1"`},
		},
		{
			name:   "minAvailabilityZones in words",
			raw:    `{"minAvailabilityZones": "two"}`,
			wantIn: []string{"minAvailabilityZones", `"two"`},
		},
		{
			name:   "minAvailabilityZones fraction",
			raw:    `{"minAvailabilityZones": 1.5}`,
			wantIn: []string{"minAvailabilityZones", `"1.5"`},
		},
		{
			name:   "minAvailabilityZones 33",
			raw:    `{"minAvailabilityZones": "33"}`,
			wantIn: []string{"minAvailabilityZones", `"33"`},
		},
		{
			name:   "executionRoleName with a path",
			raw:    `{"executionRoleName": "service-role/rule"}`,
			wantIn: []string{"executionRoleName", "no path"},
		},
		{
			name:   "executionRoleName too long",
			raw:    `{"executionRoleName": "` + strings.Repeat("r", 65) + `"}`,
			wantIn: []string{"executionRoleName"},
		},
		{
			name:   "not JSON",
			raw:    `serviceNames=ec2`,
			wantIn: []string{"ruleParameters", "not a JSON object"},
		},
		{
			name:   "JSON array",
			raw:    `["ec2"]`,
			wantIn: []string{"ruleParameters", "not a JSON object"},
		},
		{
			name:   "JSON string",
			raw:    `"ec2"`,
			wantIn: []string{"ruleParameters", "not a JSON object"},
		},
		{
			name:   "list value",
			raw:    `{"serviceNames": ["ec2", "ssm"]}`,
			wantIn: []string{"serviceNames", "must be a string", `["ec2", "ssm"]`},
		},
		{
			name:   "long list value is abbreviated",
			raw:    `{"vpcIds": ["vpc-1a2b3c4d", "vpc-2a2b3c4d", "vpc-3a2b3c4d"]}`,
			wantIn: []string{"vpcIds", `must be a string, got ["vpc-1a2b3c4d", "vpc-2a2b3c4d", "vpc-3a…`},
		},
		{
			name:   "object value",
			raw:    `{"vpcIds": {"id": "vpc-1a2b3c4d"}}`,
			wantIn: []string{"vpcIds", "must be a string"},
		},
		{
			name:   "null value",
			raw:    `{"exemptTag": null}`,
			wantIn: []string{"exemptTag", "must be a string, got null"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			region := tt.region
			if region == "" {
				region = testRegion
			}
			got, err := rule.ParseParams(tt.raw, region)
			require.Error(t, err)
			assert.True(t, errors.Is(err, rule.ErrInvalidParams), "error %q does not wrap ErrInvalidParams", err)
			for _, want := range tt.wantIn {
				assert.Contains(t, err.Error(), want)
			}
			assert.Equal(t, rule.Params{}, got, "a failed parse returns no parameters")
		})
	}
}

func TestParamsNeeds(t *testing.T) {
	tests := []struct {
		name                   string
		raw                    string
		wantSubnets, wantGroup bool
	}{
		{name: "defaults", raw: ""},
		{name: "one AZ", raw: `{"minAvailabilityZones": "1"}`},
		{name: "two AZs", raw: `{"minAvailabilityZones": "2"}`, wantSubnets: true},
		{name: "HTTPS", raw: `{"requireHttpsFromVpc": "true"}`, wantGroup: true},
		{name: "DNS and policy need neither", raw: `{"requirePrivateDns": "true", "forbidFullAccessPolicy": "true"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parseParams(t, tt.raw)
			assert.Equal(t, tt.wantSubnets, p.NeedsSubnets())
			assert.Equal(t, tt.wantGroup, p.NeedsSecurityGroups())
		})
	}
}

func TestParseParamsCentral(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    rule.Params
		wantErr string
	}{
		{
			name: "central endpoints with trusted accounts, deduplicated",
			raw:  `{"allowCentralEndpoints":"true","trustedDnsAccounts":"111122223333, 444455556666,111122223333"}`,
			want: rule.Params{Services: []rule.Service{{Name: "ec2"}}, MinAvailabilityZones: 1, AllowCentralEndpoints: true,
				TrustedDNSAccounts: []string{"111122223333", "444455556666"}},
		},
		{
			name: "central endpoints alone trust the evaluated account only",
			raw:  `{"allowCentralEndpoints":"TRUE","trustedDnsAccounts":""}`,
			want: rule.Params{Services: []rule.Service{{Name: "ec2"}}, MinAvailabilityZones: 1, AllowCentralEndpoints: true},
		},
		{
			name: "unused VPCs",
			raw:  `{"ignoreUnusedVpcs":"true","allowCentralEndpoints":""}`,
			want: rule.Params{Services: []rule.Service{{Name: "ec2"}}, MinAvailabilityZones: 1, IgnoreUnusedVPCs: true},
		},
		{name: "short account ID", raw: `{"allowCentralEndpoints":"true","trustedDnsAccounts":"11112222333"}`,
			wantErr: `trustedDnsAccounts item "11112222333" is not an AWS account ID (12 digits)`},
		{name: "account ID with letters", raw: `{"allowCentralEndpoints":"true","trustedDnsAccounts":"1111-2222-3333"}`,
			wantErr: `trustedDnsAccounts item "1111-2222-3333" is not an AWS account ID`},
		{name: "empty item", raw: `{"allowCentralEndpoints":"true","trustedDnsAccounts":"111122223333,,444455556666"}`,
			wantErr: "trustedDnsAccounts has an empty item at position 2"},
		{name: "trusted accounts without central endpoints", raw: `{"trustedDnsAccounts":"111122223333"}`,
			wantErr: "trustedDnsAccounts has no effect unless allowCentralEndpoints is true"},
		{name: "not a boolean", raw: `{"allowCentralEndpoints":"yes"}`, wantErr: `allowCentralEndpoints "yes" is not true or false`},
		{name: "unused not a boolean", raw: `{"ignoreUnusedVpcs":"1"}`, wantErr: `ignoreUnusedVpcs "1" is not true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := rule.ParseParams(tt.raw, testRegion)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, rule.ErrInvalidParams)
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.AllowCentralEndpoints, got.NeedsDNS())
			assert.Equal(t, tt.want.IgnoreUnusedVPCs, got.NeedsNetworkInterfaces())
		})
	}
}

func TestParamsTrusts(t *testing.T) {
	p := parseParams(t, `{"allowCentralEndpoints":"true","trustedDnsAccounts":"444455556666"}`)
	assert.True(t, p.Trusts(testAccount, testScope), "the evaluated account")
	assert.True(t, p.Trusts(otherAccount, testScope), "a listed account")
	assert.False(t, p.Trusts("777788889999", testScope), "an account not listed")
	assert.False(t, p.Trusts("", testScope), "no owner")
}

func TestParamsEndpointServiceNames(t *testing.T) {
	p := parseParams(t, `{"serviceNames": "ec2, ecr.api"}`)
	assert.Equal(t, []string{
		"com.amazonaws.us-east-1.ec2", "com.amazonaws.us-east-1.ec2-fips",
		"com.amazonaws.us-east-1.ecr.api", "com.amazonaws.us-east-1.ecr.api-fips",
	}, p.EndpointServiceNames(testRegion), "a commercial region asks for com.amazonaws names only")
	assert.Equal(t, []string{
		"com.amazonaws.us-iso-east-1.ec2", "com.amazonaws.us-iso-east-1.ec2-fips",
		"gov.ic.c2s.us-iso-east-1.ec2", "gov.ic.c2s.us-iso-east-1.ec2-fips",
		"com.amazonaws.us-iso-east-1.ecr.api", "com.amazonaws.us-iso-east-1.ecr.api-fips",
		"gov.ic.c2s.us-iso-east-1.ecr.api", "gov.ic.c2s.us-iso-east-1.ecr.api-fips",
	}, p.EndpointServiceNames("us-iso-east-1"), "an ISO region asks for both prefixes")

	// Every name the filter asks for is one Matches accepts, so the filter never hides a
	// qualifying endpoint nor fetches one the rule would ignore.
	for _, region := range allRegions {
		for _, svc := range append(p.Services, rule.Service{Name: "transcribe"}) {
			for _, name := range svc.EndpointServiceNames(region) {
				assert.True(t, svc.Matches(name, region), name)
			}
		}
	}

	assert.Equal(t, rule.Params{}.EndpointServiceNames("cn-north-1"), rule.Service{Name: "ec2"}.EndpointServiceNames("cn-north-1"),
		"a zero Params asks for the default service")
}

func TestParamNames(t *testing.T) {
	assert.Equal(t, []string{
		rule.ParamAllowCentralEndpoints,
		rule.ParamExecutionRoleName, rule.ParamExemptTag, rule.ParamExemptTagKey, rule.ParamExemptTagValue, rule.ParamForbidFullAccessPolicy,
		rule.ParamIgnoreUnusedVPCs,
		rule.ParamMinAvailabilityZones, rule.ParamRequireHTTPSFromVPC, rule.ParamRequirePrivateDNS,
		rule.ParamSecurityHubFindings, rule.ParamServiceName, rule.ParamServiceNames, rule.ParamTrustedDNSAccounts, rule.ParamVPCIDs,
	}, rule.ParamNames())
}

func TestTagString(t *testing.T) {
	assert.Equal(t, `key "a=b" with value "c"`, rule.Tag{Key: "a=b", Value: "c", HasValue: true, Split: true}.String())
	assert.Equal(t, `key "a=b"`, rule.Tag{Key: "a=b", Split: true}.String())
	assert.Equal(t, "k", rule.Tag{Key: "k"}.String())
	assert.Equal(t, "k=v", rule.Tag{Key: "k", Value: "v", HasValue: true}.String())
	assert.Equal(t, "k=", rule.Tag{Key: "k", HasValue: true}.String())
}

func TestParamsRequires(t *testing.T) {
	p, err := rule.ParseParams(`{"serviceNames":"ec2, ecr.api"}`, "us-east-1")
	require.NoError(t, err)
	for name, want := range map[string]bool{
		"com.amazonaws.us-east-1.ec2":         true,
		"com.amazonaws.us-east-1.ec2-fips":    true,
		"com.amazonaws.us-east-1.ecr.api":     true,
		"com.amazonaws.us-east-1.ec2messages": false,
		"com.amazonaws.us-east-1.ecr.dkr":     false,
		"com.amazonaws.us-west-2.ec2":         false,
		"com.amazonaws.us-east-1.s3":          false,
	} {
		assert.Equal(t, want, p.Requires(name, "us-east-1"), name)
	}
	assert.True(t, rule.Params{}.Requires("com.amazonaws.us-east-1.ec2", "us-east-1"), "a zero Params checks ec2")
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":       "aws",
		"eu-west-3":       "aws",
		"cn-north-1":      "aws-cn",
		"us-gov-west-1":   "aws-us-gov",
		"us-iso-east-1":   "aws-iso",
		"us-isob-east-1":  "aws-iso-b",
		"us-isof-south-1": "aws-iso-f",
		"eu-isoe-west-1":  "aws-iso-e",
		"eusc-de-east-1":  "aws-eusc",
	} {
		assert.Equal(t, want, rule.Partition(region), region)
	}
}

func TestParamSpecs(t *testing.T) {
	flagPattern := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	defaults, err := rule.ParseParams("", testRegion)
	require.NoError(t, err)
	names := map[string]bool{}
	flags := map[string]string{}
	for _, s := range rule.ParamSpecs() {
		t.Run(s.Name, func(t *testing.T) {
			assert.False(t, names[s.Name], "parameter listed twice")
			names[s.Name] = true
			assert.NotEmpty(t, s.Usage, "help needs a usage line")
			if s.AliasOf != "" {
				assert.Empty(t, s.Flag, "an alias takes the flag of %s", s.AliasOf)
				_, ok := rule.LookupParam(s.AliasOf)
				assert.True(t, ok, "alias of an unknown parameter %s", s.AliasOf)
				return
			}
			require.NotEmpty(t, s.Flag, "every rule parameter has a command-line flag")
			assert.Regexp(t, flagPattern, s.Flag, "flags are lower-case words joined by dashes")
			assert.Empty(t, flags[s.Flag], "flag --%s taken by %s too", s.Flag, flags[s.Flag])
			flags[s.Flag] = s.Name

			// The default the table shows is the one in effect when the parameter is absent.
			if s.Default != "" {
				p, err := rule.ParseParams(fmt.Sprintf(`{%q: %q}`, s.Name, s.Default), testRegion)
				require.NoError(t, err)
				assert.Equal(t, defaults, p, "default %q of %s", s.Default, s.Name)
			}
			// A value of the wrong kind is refused with an error naming the parameter.
			bad := map[rule.ParamKind]string{rule.KindBool: "yes", rule.KindInt: "many", rule.KindList: "a,,b"}
			if v, ok := bad[s.Kind]; ok {
				_, err := rule.ParseParams(fmt.Sprintf(`{%q: %q}`, s.Name, v), testRegion)
				var pe *rule.ParamError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, s.Name, pe.Param)
				assert.ErrorIs(t, err, rule.ErrInvalidParams)
			}
		})
	}
	assert.Equal(t, rule.ParamNames(), slices.Sorted(maps.Keys(names)), "ParamNames lists the table")
}
