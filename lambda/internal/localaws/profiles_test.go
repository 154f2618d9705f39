package localaws

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53profiles"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProfilesFake(t *testing.T) {
	p := StartProfiles()
	t.Cleanup(p.Stop)
	require.NoError(t, p.Add(
		ProfileSpec{ID: "rp-1", OwnerID: "444455556666", VPCs: []string{"vpc-a", "vpc-b"}, Resources: []ProfileResource{
			{ARN: "arn:aws:route53:::hostedzone/Z1", Name: "ec2 zone", OwnerID: "444455556666", Type: "PRIVATE_HOSTED_ZONE"},
			{ARN: "arn:aws:route53resolver:us-east-1:444455556666:resolver-rule/rslvr-rr-1", Name: "amazonaws_forward-1", OwnerID: "444455556666", Type: "RESOLVER_RULE"},
		}},
		ProfileSpec{ID: "rp-2", OwnerID: "111122223333", VPCs: []string{"vpc-c"}},
	))
	c := ProfilesClient(testConfig(t), p.URL)
	ctx := t.Context()

	// Every association, one a page: the paginator follows NextToken.
	var vpcs []string
	pages := route53profiles.NewListProfileAssociationsPaginator(c, &route53profiles.ListProfileAssociationsInput{MaxResults: aws.Int32(1)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.ProfileAssociations), 1)
		for _, a := range page.ProfileAssociations {
			vpcs = append(vpcs, aws.ToString(a.ResourceId))
			assert.Equal(t, "COMPLETE", string(a.Status))
		}
	}
	assert.Equal(t, []string{"vpc-a", "vpc-b", "vpc-c"}, vpcs)
	assert.Equal(t, 3, p.Operations()[opListProfileAssociations])

	byVPC, err := c.ListProfileAssociations(ctx, &route53profiles.ListProfileAssociationsInput{ResourceId: aws.String("vpc-b")})
	require.NoError(t, err)
	require.Len(t, byVPC.ProfileAssociations, 1)
	assert.Equal(t, "rp-1", aws.ToString(byVPC.ProfileAssociations[0].ProfileId))
	assert.Equal(t, "444455556666", aws.ToString(byVPC.ProfileAssociations[0].OwnerId))

	res, err := c.ListProfileResourceAssociations(ctx, &route53profiles.ListProfileResourceAssociationsInput{ProfileId: aws.String("rp-1")})
	require.NoError(t, err)
	require.Len(t, res.ProfileResourceAssociations, 2)
	assert.Equal(t, "arn:aws:route53:::hostedzone/Z1", aws.ToString(res.ProfileResourceAssociations[0].ResourceArn))
	assert.Equal(t, "ec2 zone", aws.ToString(res.ProfileResourceAssociations[0].Name))
	assert.Equal(t, "PRIVATE_HOSTED_ZONE", aws.ToString(res.ProfileResourceAssociations[0].ResourceType))
	rules, err := c.ListProfileResourceAssociations(ctx, &route53profiles.ListProfileResourceAssociationsInput{ProfileId: aws.String("rp-1"), ResourceType: aws.String("RESOLVER_RULE")})
	require.NoError(t, err)
	require.Len(t, rules.ProfileResourceAssociations, 1)

	// Validated as AWS does: MaxResults is 1 to 100, a token must be one the fake gave, the
	// Profile must exist.
	code := func(err error) string {
		var ae smithy.APIError
		require.True(t, errors.As(err, &ae), "%v", err)
		return ae.ErrorCode()
	}
	_, err = c.ListProfileAssociations(ctx, &route53profiles.ListProfileAssociationsInput{MaxResults: aws.Int32(101)})
	assert.Equal(t, "ValidationException", code(err))
	_, err = c.ListProfileAssociations(ctx, &route53profiles.ListProfileAssociationsInput{NextToken: aws.String("bogus")})
	assert.Equal(t, "InvalidNextTokenException", code(err))
	_, err = c.ListProfileResourceAssociations(ctx, &route53profiles.ListProfileResourceAssociationsInput{ProfileId: aws.String("rp-404")})
	assert.Equal(t, "ResourceNotFoundException", code(err))

	// A resource association's Name is a label, never a domain (AWS's pattern has no dot), and
	// its ARN is of its type: the fake refuses otherwise, as AWS does, and holds nothing.
	zone := ProfileResource{ARN: "arn:aws:route53:::hostedzone/Z2", Name: "z", OwnerID: "444455556666", Type: "PRIVATE_HOSTED_ZONE"}
	for _, tt := range []struct {
		name string
		edit func(*ProfileResource)
	}{
		{"a domain name", func(r *ProfileResource) { r.Name = "ec2.us-east-1.amazonaws.com" }},
		{"only digits", func(r *ProfileResource) { r.Name = "12345" }},
		{"65 characters", func(r *ProfileResource) { r.Name = strings.Repeat("a", 65) }},
		{"empty", func(r *ProfileResource) { r.Name = "" }},
		{"a rule ARN as a zone", func(r *ProfileResource) {
			r.ARN = "arn:aws:route53resolver:us-east-1:444455556666:resolver-rule/rslvr-rr-1"
		}},
		{"a zone ARN as a rule", func(r *ProfileResource) { r.Type = "RESOLVER_RULE" }},
		{"an unknown type", func(r *ProfileResource) { r.Type = "HOSTED_ZONE" }},
	} {
		res := zone
		tt.edit(&res)
		err := p.Add(ProfileSpec{ID: "rp-3", VPCs: []string{"vpc-d"}, Resources: []ProfileResource{res}})
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), "ValidationException", tt.name)
	}
	ok := zone
	ok.Name = strings.Repeat("a", 64)
	require.NoError(t, p.Add(ProfileSpec{ID: "rp-4", Resources: []ProfileResource{ok}}), "64 characters, AWS's maximum")
	_, err = c.ListProfileResourceAssociations(ctx, &route53profiles.ListProfileResourceAssociationsInput{ProfileId: aws.String("rp-3")})
	assert.Equal(t, "ResourceNotFoundException", code(err), "a refused Profile is not held")

	// Faults, as the other servers answer them.
	p.OnCall(func(op string, _ int) *Fault {
		if op == opListProfileAssociations {
			return &Fault{Code: "AccessDeniedException", Status: 403}
		}
		return nil
	})
	_, err = c.ListProfileAssociations(ctx, &route53profiles.ListProfileAssociationsInput{})
	assert.Equal(t, "AccessDeniedException", code(err))

	p.Reset()
	empty, err := c.ListProfileAssociations(ctx, &route53profiles.ListProfileAssociationsInput{})
	require.NoError(t, err)
	assert.Empty(t, empty.ProfileAssociations)
	assert.Equal(t, map[string]int{opListProfileAssociations: 1}, p.Operations())
}
