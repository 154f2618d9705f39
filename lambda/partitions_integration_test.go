package main

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// TestIntegrationPartitions sweeps and answers an endpoint change in a region of each partition
// whose endpoint service names have their own prefix, against moto, which serves those regions.
// The names are AWS's: AWS CDK, packages/aws-cdk-lib/aws-ec2/lib/vpc-endpoint.ts,
// getDefaultEndpointPrefix (ec2 is gov.ic.c2s.<region>.ec2 in us-iso-east-1,
// gov.sgov.sc2s.<region>.ec2 in us-isob-east-1, cn.com.amazonaws.<region>.ec2 in cn-north-1).
func TestIntegrationPartitions(t *testing.T) {
	for _, tt := range []struct{ region, ec2 string }{
		{"us-iso-east-1", "gov.ic.c2s.us-iso-east-1.ec2"},
		{"us-isob-east-1", "gov.sgov.sc2s.us-isob-east-1.ec2"},
		{"cn-north-1", "cn.com.amazonaws.cn-north-1.ec2"},
	} {
		t.Run(tt.region, func(t *testing.T) {
			r := itestSetupIn(t, tt.region)
			vpcs := r.seedVPCs(t,
				// moto has no subnets in the ISO regions: the endpoint has none.
				localaws.VPCSpec{Name: "compliant", Endpoints: []localaws.EndpointSpec{{Service: tt.ec2, PrivateDNS: true}}},
				localaws.VPCSpec{Name: "missing"},
			)
			compliant, missing := vpcs["compliant"], vpcs["missing"]
			defaultVPC := r.defaultVPC(t)
			event := localaws.Rule{Region: tt.region, AccountID: itestAccount, Name: itestRuleName, ID: "config-rule-itest01", ResultToken: itestToken}

			sweep, err := event.Event(map[string]any{
				"awsAccountId": itestAccount, "notificationCreationTime": itestTime(itestSweepTime),
				"messageType": messageScheduled, "recordVersion": "1.0",
			}, "")
			require.NoError(t, err)
			require.NoError(t, r.h.Handle(t.Context(), sweep))
			noEC2 := "No Interface endpoint for " + tt.ec2 + ": create one"
			itestAssertEvaluations(t, itestReported(r.config), itestSweepTime,
				itestVPC(compliant.ID, rule.Compliant, compliant.Endpoints[0].ID+" ("+tt.ec2+") is an available Interface endpoint"),
				itestVPC(missing.ID, rule.NonCompliant, noEC2),
				itestVPC(defaultVPC, rule.NonCompliant, noEC2),
			)
			itestAssertPuts(t, r.config)
			assert.Contains(t, endpointFilterNames(t, r.moto), tt.ec2, "DescribeVpcEndpoints asks for the partition's name")

			// The endpoint's change re-evaluates its VPC: it is for a service the rule checks.
			r.resetCalls()
			r.config.Reset()
			item := itestEndpointItem(compliant, compliant.Endpoints[0], "ResourceDiscovered", itestChangeTime)
			item["awsRegion"] = tt.region
			change, err := event.Event(map[string]any{
				"configurationItemDiff": nil, "configurationItem": item, "notificationCreationTime": item["configurationItemCaptureTime"],
				"messageType": messageChange, "recordVersion": "1.3",
			}, "")
			require.NoError(t, err)
			require.NoError(t, r.h.Handle(t.Context(), change))
			itestAssertEvaluations(t, itestReported(r.config), itestChangeTime,
				itestVPC(compliant.ID, rule.Compliant, tt.ec2),
				itestWant{rule.ResourceTypeVPCEndpoint, compliant.Endpoints[0].ID, rule.NotApplicable, []string{"re-evaluated " + compliant.ID + ": COMPLIANT"}},
			)
			assert.Equal(t, map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "PutEvaluations": 1}, r.calls())
		})
	}
}

// endpointFilterNames returns the service-name filter values of the DescribeVpcEndpoints calls
// moto received, as the query protocol carried them.
func endpointFilterNames(t *testing.T, m *localaws.Moto) []string {
	t.Helper()
	var names []string
	for _, c := range m.Calls() {
		if c.Op != "DescribeVpcEndpoints" {
			continue
		}
		values, ok := c.Input.(url.Values)
		require.True(t, ok, "a decoded EC2 call")
		require.Equal(t, "service-name", values.Get("Filter.1.Name"))
		for i := 1; ; i++ {
			v := values.Get("Filter.1.Value." + strconv.Itoa(i))
			if v == "" {
				break
			}
			names = append(names, v)
		}
	}
	return names
}
