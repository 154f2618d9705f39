package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// decodeTestItem is the part of a decoded configuration item the tests compare.
type decodeTestItem struct {
	ResourceType     string
	ResourceID       string
	Status           string
	Region           string
	HasConfiguration bool
}

func TestDecodeEventFixtures(t *testing.T) {
	tests := []struct {
		fixture       string
		wantType      string
		wantTime      time.Time
		wantLeftScope bool
		wantItem      *decodeTestItem
	}{
		{
			fixture:  "scheduled.json",
			wantType: messageScheduled,
			wantTime: fixtureScheduledTime,
		},
		{
			fixture:  "vpc-change.json",
			wantType: messageChange,
			wantTime: fixtureVPCCaptureTime,
			wantItem: &decodeTestItem{rule.ResourceTypeVPC, fixtureVPCID, "OK", fixtureRegion, true},
		},
		{
			fixture:  "vpc-deleted.json",
			wantType: messageChange,
			wantTime: fixtureDeletedCaptureTime,
			wantItem: &decodeTestItem{rule.ResourceTypeVPC, fixtureVPCID, "ResourceDeleted", fixtureRegion, false},
		},
		{
			fixture:       "vpc-left-scope.json",
			wantType:      messageChange,
			wantTime:      fixtureVPCCaptureTime,
			wantLeftScope: true,
			wantItem:      &decodeTestItem{rule.ResourceTypeVPC, fixtureVPCID, "OK", fixtureRegion, true},
		},
		{
			fixture:  "vpc-oversized.json",
			wantType: messageOversized,
			wantTime: fixtureVPCCaptureTime,
			wantItem: &decodeTestItem{rule.ResourceTypeVPC, fixtureVPCID, "OK", fixtureRegion, false},
		},
		{
			fixture:  "vpce-change.json",
			wantType: messageChange,
			wantTime: fixtureEndpointCaptureTime,
			wantItem: &decodeTestItem{rule.ResourceTypeVPCEndpoint, fixtureEndpointID, "ResourceDiscovered", fixtureRegion, true},
		},
		{
			fixture:  "vpce-oversized.json",
			wantType: messageOversized,
			wantTime: fixtureEndpointCaptureTime,
			wantItem: &decodeTestItem{rule.ResourceTypeVPCEndpoint, fixtureEndpointID, "OK", fixtureRegion, false},
		},
		{
			fixture:  "instance-change.json",
			wantType: messageChange,
			wantTime: time.Date(2016, 2, 17, 1, 36, 34, 43e6, time.UTC),
			wantItem: &decodeTestItem{"AWS::EC2::Instance", "i-00000000", "OK", fixtureRegion, true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			req, err := decodeEvent(loadEvent(t, tt.fixture), fixtureRegion)
			require.NoError(t, err)

			assert.Equal(t, tt.wantType, req.messageType)
			assert.Equal(t, fixtureAccount, req.accountID)
			assert.Equal(t, "aws", req.partition)
			assert.Equal(t, fixtureRegion, req.region)
			assert.Equal(t, fixtureRuleName, req.ruleName)
			assert.Equal(t, fixtureResultToken, req.resultToken)
			assert.False(t, req.testMode())
			assert.Equal(t, tt.wantLeftScope, req.leftScope)
			assert.True(t, tt.wantTime.Equal(req.orderingTime), "orderingTime %v, want %v", req.orderingTime, tt.wantTime)
			assert.Equal(t, []rule.Service{{Name: "ec2"}}, req.params.Services)
			assert.Equal(t, rule.Scope{Region: fixtureRegion, AccountID: fixtureAccount}, req.scope())
			if tt.wantItem == nil {
				assert.Nil(t, req.item)
				return
			}
			require.NotNil(t, req.item)
			assert.Equal(t, *tt.wantItem, decodeTestItem{
				req.item.ResourceType, req.item.ResourceID, req.item.Status, req.item.Region, req.item.hasConfiguration(),
			})
		})
	}
}

// Config leaves ruleParameters out, or sends "" or "{}", for a rule without parameters.
func TestDecodeEventDefaultParameters(t *testing.T) {
	for _, raw := range []string{"", "{}", " ", `{"serviceNames":"ec2","vpcIds":"","exemptTag":""}`} {
		ev := loadEvent(t, "vpc-change.json")
		ev.RuleParameters = raw
		req, err := decodeEvent(ev, fixtureRegion)
		require.NoError(t, err, "ruleParameters %q", raw)
		assert.Equal(t, []string{
			"com.amazonaws.us-east-1.ec2", "com.amazonaws.us-east-1.ec2-fips",
		}, req.params.EndpointServiceNames(fixtureRegion), "ruleParameters %q", raw)
	}
}

func TestDecodeEventTestMode(t *testing.T) {
	ev := loadEvent(t, "scheduled.json")
	ev.ResultToken = testModeToken
	req, err := decodeEvent(ev, fixtureRegion)
	require.NoError(t, err)
	assert.True(t, req.testMode())
}

// An item without awsRegion is taken as the function's region; a different one is refused.
func TestDecodeEventItemRegion(t *testing.T) {
	ev := fixtureWithItem(t, loadEvent(t, "vpc-change.json"), func(item map[string]any) { delete(item, "awsRegion") })
	_, err := decodeEvent(ev, fixtureRegion)
	require.NoError(t, err)

	_, err = decodeEvent(loadEvent(t, "vpc-change.json"), "us-west-2")
	require.ErrorIs(t, err, ErrInvalidEvent)
	assert.ErrorContains(t, err, "deploy the rule and its function in the same region")
}

func TestDecodeEventTimes(t *testing.T) {
	tests := []struct {
		value string
		want  time.Time
		ok    bool
	}{
		{"2024-05-13T09:14:02.810Z", fixtureVPCCaptureTime, true},
		{"2024-05-13T09:14:02Z", fixtureVPCCaptureTime.Truncate(time.Second), true},
		{"2024-05-13T11:14:02.810+02:00", fixtureVPCCaptureTime, true},
		{"2024-05-13 09:14:02", time.Time{}, false},
		{"1715591642810", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			ev := fixtureWithItem(t, loadEvent(t, "vpc-change.json"), func(item map[string]any) {
				item["configurationItemCaptureTime"] = tt.value
			})
			req, err := decodeEvent(ev, fixtureRegion)
			if !tt.ok {
				assert.ErrorIs(t, err, ErrInvalidEvent)
				assert.ErrorContains(t, err, "configurationItemCaptureTime")
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(req.orderingTime), "got %v", req.orderingTime)
		})
	}
}

func TestPartitionOf(t *testing.T) {
	tests := []struct {
		ruleARN, region, want string
	}{
		{"arn:aws:config:us-east-1:123456789012:config-rule/config-rule-4b8c2d", "us-east-1", "aws"},
		{"arn:aws-cn:config:cn-north-1:123456789012:config-rule/config-rule-4b8c2d", "cn-north-1", "aws-cn"},
		{"arn:aws-us-gov:config:us-gov-west-1:123456789012:config-rule/config-rule-4b8c2d", "us-gov-west-1", "aws-us-gov"},
		// Without a usable ARN the region decides.
		{"", "cn-northwest-1", "aws-cn"},
		{"", "us-gov-east-1", "aws-us-gov"},
		{"", "eu-west-1", "aws"},
		{"config-rule-4b8c2d", "us-east-1", "aws"},
		{"arn::config:us-east-1", "cn-north-1", "aws-cn"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, partitionOf(tt.ruleARN, tt.region), "partitionOf(%q, %q)", tt.ruleARN, tt.region)
	}
}

func TestHasConfiguration(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"", false},
		{"null", false},
		{" null\n", false},
		{"{}", true},
		{`{"vpcId":"vpc-0a1b2c3d4e5f60718"}`, true},
	}
	for _, tt := range tests {
		ci := configurationItem{Configuration: json.RawMessage(tt.raw)}
		assert.Equal(t, tt.want, ci.hasConfiguration(), "configuration %q", tt.raw)
	}
}

func TestVPCFromItem(t *testing.T) {
	req, err := decodeEvent(loadEvent(t, "vpc-change.json"), fixtureRegion)
	require.NoError(t, err)
	require.NotNil(t, req.item)

	vpc, err := vpcFromItem(req.item)
	require.NoError(t, err)
	assert.Equal(t, rule.VPC{
		ID:      fixtureVPCID,
		OwnerID: fixtureAccount,
		// The primary block once, the second associated one, not the disassociated one.
		CIDRBlocks: []string{"10.0.0.0/16", "10.1.0.0/16"},
		Tags:       map[string]string{"Name": "prod", "team": "network"},
	}, vpc)

	t.Run("tags from the configuration when the item has none", func(t *testing.T) {
		item := *req.item
		item.Tags = nil
		vpc, err := vpcFromItem(&item)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"Name": "prod", "team": "network"}, vpc.Tags)
	})
	t.Run("minimal configuration", func(t *testing.T) {
		item := configurationItem{ResourceID: fixtureVPCID, Configuration: json.RawMessage(`{"vpcId":"vpc-0a1b2c3d4e5f60718"}`)}
		vpc, err := vpcFromItem(&item)
		require.NoError(t, err)
		assert.Equal(t, rule.VPC{ID: fixtureVPCID}, vpc)
	})
	t.Run("not an object", func(t *testing.T) {
		item := configurationItem{ResourceID: fixtureVPCID, Configuration: json.RawMessage(`"vpc"`)}
		_, err := vpcFromItem(&item)
		assert.ErrorIs(t, err, ErrInvalidEvent)
	})
}

func TestEndpointOf(t *testing.T) {
	req, err := decodeEvent(loadEvent(t, "vpce-change.json"), fixtureRegion)
	require.NoError(t, err)
	c, err := endpointOf(req.item)
	require.NoError(t, err)
	assert.Equal(t, endpointConfiguration{VPCEndpointID: fixtureEndpointID, VPCID: fixtureVPCID, ServiceName: fixtureEC2Service}, c)

	for _, raw := range []string{`{}`, `{"vpcId":""}`, `[]`, `{"vpcId":7}`} {
		item := configurationItem{ResourceID: fixtureEndpointID, Configuration: json.RawMessage(raw)}
		_, err := endpointOf(&item)
		assert.ErrorIs(t, err, ErrInvalidEvent, "configuration %s", raw)
	}
}

func TestItemDiffPreviousEndpoint(t *testing.T) {
	tests := []struct {
		name string
		diff string
		want string
	}{
		{name: "no diff", diff: `null`, want: ""},
		{name: "no changed properties", diff: `{"changedProperties":{},"changeType":"CREATE"}`, want: ""},
		{
			name: "previous configuration",
			diff: `{"changedProperties":{"Configuration":{"previousValue":{"vpcEndpointId":"vpce-1","vpcId":"vpc-0a1b2c3d4e5f60718"},"updatedValue":null,"changeType":"DELETE"}},"changeType":"DELETE"}`,
			want: "vpc-0a1b2c3d4e5f60718",
		},
		{
			name: "previous relationship only",
			diff: `{"changedProperties":{"Relationships.0":{"previousValue":{"resourceId":"subnet-0a1b2c3d","resourceType":"AWS::EC2::Subnet"},"changeType":"DELETE"},"Relationships.1":{"previousValue":{"resourceId":"vpc-1a2b3c4d","resourceType":"AWS::EC2::VPC","name":"Is contained in Vpc"},"changeType":"DELETE"}}}`,
			want: "vpc-1a2b3c4d",
		},
		{
			name: "previous values of other shapes are no answer, not an error",
			diff: `{"changedProperties":{"Configuration":{"previousValue":"text"},"Relationships.0":{"previousValue":[1,2]}}}`,
			want: "",
		},
		{
			name: "a malformed VPC ID is not trusted",
			diff: `{"changedProperties":{"Configuration":{"previousValue":{"vpcId":"vpc-XYZ"}}}}`,
			want: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d *itemDiff
			require.NoError(t, json.Unmarshal([]byte(tt.diff), &d))
			assert.Equal(t, tt.want, d.previousEndpoint().VPCID)
		})
	}
}
