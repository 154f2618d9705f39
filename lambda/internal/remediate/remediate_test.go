package remediate

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule/remedy"
)

// fakeEC2 answers the calls Apply makes with its function fields; the embedded nil interface
// makes any other call panic.
type fakeEC2 struct {
	EC2
	createGroup func(*ec2.CreateSecurityGroupInput) (*ec2.CreateSecurityGroupOutput, error)
	describe    func(*ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error)
	authorize   func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	create      func(*ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error)
	calls       []string
}

func (f *fakeEC2) CreateSecurityGroup(_ context.Context, in *ec2.CreateSecurityGroupInput, _ ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error) {
	f.calls = append(f.calls, "CreateSecurityGroup")
	return f.createGroup(in)
}

func (f *fakeEC2) DescribeSecurityGroups(_ context.Context, in *ec2.DescribeSecurityGroupsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	f.calls = append(f.calls, "DescribeSecurityGroups")
	return f.describe(in)
}

func (f *fakeEC2) AuthorizeSecurityGroupIngress(_ context.Context, in *ec2.AuthorizeSecurityGroupIngressInput, _ ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
	f.calls = append(f.calls, "AuthorizeSecurityGroupIngress")
	return f.authorize(in)
}

func (f *fakeEC2) CreateVpcEndpoint(_ context.Context, in *ec2.CreateVpcEndpointInput, _ ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error) {
	f.calls = append(f.calls, "CreateVpcEndpoint")
	return f.create(in)
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: code} }

func newPlan(t *testing.T) remedy.Plan {
	t.Helper()
	f := remedy.Facts{
		Region: "us-east-1", AccountID: "111122223333", DNSSupport: true, DNSHostnames: true,
		VPC:     rule.VPC{ID: "vpc-0a1b2c3d4e5f60718", OwnerID: "111122223333", CIDRBlocks: []string{"10.0.0.0/16"}},
		Subnets: []remedy.Subnet{{ID: "subnet-1", AZ: "us-east-1a", AvailableIPs: 9}, {ID: "subnet-2", AZ: "us-east-1b", AvailableIPs: 9}},
		Offers:  map[string]remedy.Offer{"com.amazonaws.us-east-1.ec2": {}},
	}
	p, err := remedy.Decide(f, remedy.Options{})
	require.NoError(t, err)
	return p
}

// A retried run after a lost answer: the group exists (found by name), its rule too; the
// endpoint's create carries the token that makes EC2 answer with the first one.
func TestApplyIsSafeToRetry(t *testing.T) {
	var tokens []string
	api := &fakeEC2{
		createGroup: func(*ec2.CreateSecurityGroupInput) (*ec2.CreateSecurityGroupOutput, error) {
			return nil, apiErr("InvalidGroup.Duplicate")
		},
		describe: func(in *ec2.DescribeSecurityGroupsInput) (*ec2.DescribeSecurityGroupsOutput, error) {
			assert.Equal(t, "group-name", aws.ToString(in.Filters[1].Name))
			assert.Equal(t, []string{remedy.GroupName}, in.Filters[1].Values)
			return &ec2.DescribeSecurityGroupsOutput{SecurityGroups: []types.SecurityGroup{{GroupId: aws.String("sg-found")}}}, nil
		},
		authorize: func(in *ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
			assert.Equal(t, "sg-found", aws.ToString(in.GroupId))
			return nil, apiErr("InvalidPermission.Duplicate")
		},
		create: func(in *ec2.CreateVpcEndpointInput) (*ec2.CreateVpcEndpointOutput, error) {
			assert.Equal(t, []string{"sg-found"}, in.SecurityGroupIds)
			tokens = append(tokens, aws.ToString(in.ClientToken))
			return &ec2.CreateVpcEndpointOutput{VpcEndpoint: &types.VpcEndpoint{VpcEndpointId: aws.String("vpce-1")}}, nil
		},
	}
	p := newPlan(t)
	for range 2 {
		done, err := Apply(t.Context(), api, p)
		require.NoError(t, err)
		assert.Equal(t, []Done{{ActionCreateSecurityGroup, "sg-found"}, {ActionAuthorizeSecurityGroupIngres, "sg-found"}, {ActionCreateVPCEndpoint, "vpce-1"}}, done)
	}
	require.Len(t, tokens, 2)
	assert.Equal(t, tokens[0], tokens[1], "the same token for the same create")
}

func TestApplyNamesTheDeniedAction(t *testing.T) {
	api := &fakeEC2{
		createGroup: func(*ec2.CreateSecurityGroupInput) (*ec2.CreateSecurityGroupOutput, error) {
			return &ec2.CreateSecurityGroupOutput{GroupId: aws.String("sg-new")}, nil
		},
		authorize: func(*ec2.AuthorizeSecurityGroupIngressInput) (*ec2.AuthorizeSecurityGroupIngressOutput, error) {
			return nil, apiErr("UnauthorizedOperation")
		},
	}
	done, err := Apply(t.Context(), api, newPlan(t))
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrAccessDenied))
	assert.Contains(t, err.Error(), "the caller needs IAM permission ec2:AuthorizeSecurityGroupIngress")
	assert.Equal(t, []Done{{ActionCreateSecurityGroup, "sg-new"}}, done, "what was done before the failure")
	assert.Equal(t, []string{"CreateSecurityGroup", "AuthorizeSecurityGroupIngress"}, api.calls, "it stops at the failure")
}
