package localaws

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmulatePrivateDNS(t *testing.T) {
	m, err := StartMoto(t.Context())
	RequireTools(t, err)
	t.Cleanup(m.Stop)
	cfg := testConfig(t)
	api := EC2Client(cfg, m.URL)
	seed := EC2Client(cfg, m.ServerURL)
	ctx := t.Context()

	vpcs, err := Seed(ctx, seed, VPCSpec{Name: "dns", AZs: []string{"us-east-1a"}, Endpoints: []EndpointSpec{{Service: "com.amazonaws.us-east-1.ec2"}}})
	require.NoError(t, err)
	v := vpcs[0]
	id := v.Endpoints[0].ID
	privateDNS := func() bool {
		t.Helper()
		out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		require.NoError(t, err)
		require.Len(t, out.VpcEndpoints, 1)
		return aws.ToBool(out.VpcEndpoints[0].PrivateDnsEnabled)
	}
	enable := func() error {
		_, err := api.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(true)})
		return err
	}
	dnsOn := func(attr string) {
		in := &ec2.ModifyVpcAttributeInput{VpcId: aws.String(v.ID)}
		on := &types.AttributeBooleanValue{Value: aws.Bool(true)}
		if attr == "support" {
			in.EnableDnsSupport = on
		} else {
			in.EnableDnsHostnames = on
		}
		_, err := seed.ModifyVpcAttribute(ctx, in)
		require.NoError(t, err)
	}

	// What the fake is for: moto itself accepts the change and ignores it.
	require.NoError(t, enable())
	assert.False(t, privateDNS(), "moto ignores PrivateDnsEnabled")

	m.EmulatePrivateDNS()
	err = enable()
	assert.Equal(t, privateDNSError, errorCode(err), "a new VPC has enableDnsHostnames off (moto), and AWS refuses")
	assert.False(t, privateDNS())
	_, err = api.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(v.ID), ServiceName: aws.String("com.amazonaws.us-east-1.ssm"),
		VpcEndpointType: types.VpcEndpointTypeInterface, SubnetIds: v.SubnetIDs, PrivateDnsEnabled: aws.Bool(true)})
	assert.Equal(t, privateDNSError, errorCode(err), "so does CreateVpcEndpoint")

	dnsOn("support")
	dnsOn("hostnames")
	require.NoError(t, enable())
	assert.True(t, privateDNS(), "turned on in place")
	_, err = api.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(false)})
	require.NoError(t, err)
	assert.False(t, privateDNS(), "and off again")
	assert.Equal(t, 4, m.Counts()["ModifyVpcEndpoint"], "every call is recorded, the refused one too")

	require.NoError(t, m.Reset(ctx))
	assert.Nil(t, m.dns, "Reset ends the emulation")
}
