package dns

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/route53profiles"
	profiletypes "github.com/aws/aws-sdk-go-v2/service/route53profiles/types"
	"github.com/aws/aws-sdk-go-v2/service/route53resolver"
	resolvertypes "github.com/aws/aws-sdk-go-v2/service/route53resolver/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

const (
	account = "111122223333"
	network = "444455556666"
	vpcID   = "vpc-0a1b2c3d4e5f60718"
	ec2Name = "ec2.us-east-1.amazonaws.com"
)

// fakeRoute53 answers Route 53 calls with its function fields.
type fakeRoute53 struct {
	byVPC   func(*route53.ListHostedZonesByVPCInput) (*route53.ListHostedZonesByVPCOutput, error)
	zone    func(*route53.GetHostedZoneInput) (*route53.GetHostedZoneOutput, error)
	records func(*route53.ListResourceRecordSetsInput) (*route53.ListResourceRecordSetsOutput, error)
}

func (f fakeRoute53) ListHostedZonesByVPC(_ context.Context, in *route53.ListHostedZonesByVPCInput, _ ...func(*route53.Options)) (*route53.ListHostedZonesByVPCOutput, error) {
	return f.byVPC(in)
}

func (f fakeRoute53) GetHostedZone(_ context.Context, in *route53.GetHostedZoneInput, _ ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error) {
	return f.zone(in)
}

func (f fakeRoute53) ListResourceRecordSets(_ context.Context, in *route53.ListResourceRecordSetsInput, _ ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error) {
	return f.records(in)
}

type fakeResolver struct {
	rules func(*route53resolver.ListResolverRulesInput) (*route53resolver.ListResolverRulesOutput, error)
	assoc func(*route53resolver.ListResolverRuleAssociationsInput) (*route53resolver.ListResolverRuleAssociationsOutput, error)
	get   func(*route53resolver.GetResolverRuleInput) (*route53resolver.GetResolverRuleOutput, error)
}

func (f fakeResolver) GetResolverRule(_ context.Context, in *route53resolver.GetResolverRuleInput, _ ...func(*route53resolver.Options)) (*route53resolver.GetResolverRuleOutput, error) {
	return f.get(in)
}

func (f fakeResolver) ListResolverRules(_ context.Context, in *route53resolver.ListResolverRulesInput, _ ...func(*route53resolver.Options)) (*route53resolver.ListResolverRulesOutput, error) {
	return f.rules(in)
}

func (f fakeResolver) ListResolverRuleAssociations(_ context.Context, in *route53resolver.ListResolverRuleAssociationsInput, _ ...func(*route53resolver.Options)) (*route53resolver.ListResolverRuleAssociationsOutput, error) {
	return f.assoc(in)
}

type fakeProfiles struct {
	assoc     func(*route53profiles.ListProfileAssociationsInput) (*route53profiles.ListProfileAssociationsOutput, error)
	resources func(*route53profiles.ListProfileResourceAssociationsInput) (*route53profiles.ListProfileResourceAssociationsOutput, error)
}

func (f fakeProfiles) ListProfileAssociations(_ context.Context, in *route53profiles.ListProfileAssociationsInput, _ ...func(*route53profiles.Options)) (*route53profiles.ListProfileAssociationsOutput, error) {
	return f.assoc(in)
}

func (f fakeProfiles) ListProfileResourceAssociations(_ context.Context, in *route53profiles.ListProfileResourceAssociationsInput, _ ...func(*route53profiles.Options)) (*route53profiles.ListProfileResourceAssociationsOutput, error) {
	return f.resources(in)
}

// countingPacer counts the waits; it never waits.
type countingPacer struct{ n int }

func (p *countingPacer) Wait(context.Context) error { p.n++; return nil }

func reader(r53 Route53API, res ResolverAPI, prof ProfilesAPI, pace Pacer) *Reader {
	return New(Clients{
		Route53:  func() Route53API { return r53 },
		Resolver: func() ResolverAPI { return res },
		Profiles: func() ProfilesAPI { return prof },
	}, "us-east-1", pace)
}

func TestZonesByVPCFollowsNextTokenAndPacesEachCall(t *testing.T) {
	var seen []string
	r53 := fakeRoute53{byVPC: func(in *route53.ListHostedZonesByVPCInput) (*route53.ListHostedZonesByVPCOutput, error) {
		seen = append(seen, aws.ToString(in.NextToken))
		assert.Equal(t, vpcID, aws.ToString(in.VPCId))
		assert.Equal(t, r53types.VPCRegion("us-east-1"), in.VPCRegion)
		if in.NextToken == nil {
			return &route53.ListHostedZonesByVPCOutput{NextToken: aws.String("t2"), HostedZoneSummaries: []r53types.HostedZoneSummary{
				{HostedZoneId: aws.String("/hostedzone/Z1"), Name: aws.String("EC2.us-east-1.amazonaws.com."), Owner: &r53types.HostedZoneOwner{OwningAccount: aws.String(account)}},
			}}, nil
		}
		return &route53.ListHostedZonesByVPCOutput{HostedZoneSummaries: []r53types.HostedZoneSummary{
			{HostedZoneId: aws.String("Z2"), Name: aws.String("us-east-1.amazonaws.com."), Owner: &r53types.HostedZoneOwner{OwningService: aws.String("efs.amazonaws.com")}},
		}}, nil
	}}
	pace := &countingPacer{}
	r := reader(r53, nil, nil, pace)
	zones, err := r.ZonesByVPC(t.Context(), vpcID)
	require.NoError(t, err)
	assert.Equal(t, []rule.HostedZone{
		{ID: "Z1", Name: ec2Name, OwnerAccount: account},
		{ID: "Z2", Name: "us-east-1.amazonaws.com", OwnerService: "efs.amazonaws.com"},
	}, zones)
	assert.Equal(t, []string{"", "t2"}, seen)
	assert.Equal(t, 2, pace.n, "every Route 53 call waits for the pacer")
	assert.Equal(t, 2, r.Calls)

	z, ok, err := r.ZoneFor(t.Context(), vpcID, ec2Name)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "Z1", z.ID, "the most specific zone")
	_, ok, err = r.ZoneFor(t.Context(), vpcID, "sts.us-west-2.amazonaws.com")
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestRecordsReadsOnceFromTheName(t *testing.T) {
	calls := 0
	r53 := fakeRoute53{records: func(in *route53.ListResourceRecordSetsInput) (*route53.ListResourceRecordSetsOutput, error) {
		calls++
		assert.Equal(t, ec2Name, aws.ToString(in.StartRecordName))
		assert.Equal(t, int32(300), aws.ToInt32(in.MaxItems), "ListResourceRecordSets returns at most 300 records a page")
		return &route53.ListResourceRecordSetsOutput{
			IsTruncated: true, NextRecordName: aws.String("zz." + ec2Name),
			ResourceRecordSets: []r53types.ResourceRecordSet{
				{Name: aws.String(ec2Name + "."), Type: r53types.RRTypeA, AliasTarget: &r53types.AliasTarget{DNSName: aws.String("vpce-1-a.ec2.us-east-1.vpce.amazonaws.com.")}},
				{Name: aws.String(ec2Name + "."), Type: r53types.RRTypeTxt, ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(`"x"`)}}},
				{Name: aws.String("s3.us-east-1.amazonaws.com."), Type: r53types.RRTypeA},
			},
		}, nil
	}}
	pace := &countingPacer{}
	r := reader(r53, nil, nil, pace)
	for range 2 {
		recs, err := r.Records(t.Context(), "Z1", ec2Name+".")
		require.NoError(t, err)
		assert.Equal(t, []rule.Record{
			{Name: ec2Name, Type: "A", AliasTarget: "vpce-1-a.ec2.us-east-1.vpce.amazonaws.com."},
			{Name: ec2Name, Type: "TXT", Values: []string{`"x"`}},
		}, recs)
	}
	assert.Equal(t, 1, calls, "a page that reaches another name ends the listing, and the answer is kept")
	assert.Equal(t, 1, pace.n)
}

func TestResolverRulesJoinsAssociationsToRules(t *testing.T) {
	ruleCalls := 0
	res := fakeResolver{
		assoc: func(in *route53resolver.ListResolverRuleAssociationsInput) (*route53resolver.ListResolverRuleAssociationsOutput, error) {
			require.Len(t, in.Filters, 1)
			assert.Equal(t, "VPCId", aws.ToString(in.Filters[0].Name))
			return &route53resolver.ListResolverRuleAssociationsOutput{ResolverRuleAssociations: []resolvertypes.ResolverRuleAssociation{
				{ResolverRuleId: aws.String("rslvr-rr-1"), VPCId: aws.String(vpcID), Status: resolvertypes.ResolverRuleAssociationStatusComplete},
			}}, nil
		},
		rules: func(*route53resolver.ListResolverRulesInput) (*route53resolver.ListResolverRulesOutput, error) {
			ruleCalls++
			return &route53resolver.ListResolverRulesOutput{ResolverRules: []resolvertypes.ResolverRule{
				{Id: aws.String("rslvr-rr-1"), DomainName: aws.String("amazonaws.com."), OwnerId: aws.String(network), RuleType: resolvertypes.RuleTypeOptionForward},
			}}, nil
		},
	}
	pace := &countingPacer{}
	r := reader(nil, res, nil, pace)
	got, err := r.ResolverRules(t.Context(), vpcID)
	require.NoError(t, err)
	assert.Equal(t, map[string][]rule.ResolverRule{vpcID: {{ID: "rslvr-rr-1", DomainName: "amazonaws.com", OwnerID: network, Type: "FORWARD", Status: "COMPLETE"}}}, got)
	assert.Equal(t, 1, ruleCalls)
	assert.Equal(t, 0, pace.n, "Resolver calls are not Route 53's to pace")
	assert.Equal(t, 2, r.Calls)
}

func TestResolverRulesWithoutAssociationsListsNoRules(t *testing.T) {
	res := fakeResolver{
		assoc: func(*route53resolver.ListResolverRuleAssociationsInput) (*route53resolver.ListResolverRuleAssociationsOutput, error) {
			return &route53resolver.ListResolverRuleAssociationsOutput{}, nil
		},
		rules: func(*route53resolver.ListResolverRulesInput) (*route53resolver.ListResolverRulesOutput, error) {
			t.Fatal("no association: the rules are not listed")
			return nil, nil
		},
	}
	r := reader(nil, res, nil, &countingPacer{})
	got, err := r.ResolverRules(t.Context(), vpcID)
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, r.Calls)
}

// profileOf answers one Profile association for vpcID, of Profile rp-1 carrying resources.
func profileOf(t *testing.T, resources ...profiletypes.ProfileResourceAssociation) fakeProfiles {
	return fakeProfiles{
		assoc: func(in *route53profiles.ListProfileAssociationsInput) (*route53profiles.ListProfileAssociationsOutput, error) {
			assert.Equal(t, vpcID, aws.ToString(in.ResourceId))
			return &route53profiles.ListProfileAssociationsOutput{ProfileAssociations: []profiletypes.ProfileAssociation{
				{ProfileId: aws.String("rp-1"), ResourceId: aws.String(vpcID), Status: profiletypes.ProfileStatusComplete},
			}}, nil
		},
		resources: func(in *route53profiles.ListProfileResourceAssociationsInput) (*route53profiles.ListProfileResourceAssociationsOutput, error) {
			assert.Equal(t, "rp-1", aws.ToString(in.ProfileId))
			return &route53profiles.ListProfileResourceAssociationsOutput{ProfileResourceAssociations: resources}, nil
		},
	}
}

const (
	ownZoneARN     = "arn:aws:route53:::hostedzone/ZOWN"
	foreignZoneARN = "arn:aws:route53:::hostedzone/ZNET"
	sharedRuleARN  = "arn:aws:route53resolver:us-east-1:" + network + ":resolver-rule/rslvr-rr-9"
)

// A resource association's Name is a label its owner chooses ("ec2 zone"), never the domain:
// the domain comes from GetHostedZone for the account's own zone and from GetResolverRule for a
// rule, its own or shared with it through RAM. A zone of another account cannot be read.
func TestProfilesReadsDomainsFromTheResources(t *testing.T) {
	prof := profileOf(t,
		profiletypes.ProfileResourceAssociation{ResourceArn: aws.String(ownZoneARN), ResourceType: aws.String("PRIVATE_HOSTED_ZONE"), OwnerId: aws.String(account), Name: aws.String("ec2 zone"), Status: profiletypes.ProfileStatusComplete},
		profiletypes.ProfileResourceAssociation{ResourceArn: aws.String(foreignZoneARN), ResourceType: aws.String("PRIVATE_HOSTED_ZONE"), OwnerId: aws.String(network), Name: aws.String("ec2"), Status: profiletypes.ProfileStatusComplete},
		profiletypes.ProfileResourceAssociation{ResourceArn: aws.String("arn:aws:route53:::hostedzone/ZNEW"), ResourceType: aws.String("PRIVATE_HOSTED_ZONE"), OwnerId: aws.String(account), Name: aws.String("x"), Status: profiletypes.ProfileStatusCreating},
		profiletypes.ProfileResourceAssociation{ResourceArn: aws.String(sharedRuleARN), ResourceType: aws.String("RESOLVER_RULE"), OwnerId: aws.String(network), Name: aws.String("forward all"), Status: profiletypes.ProfileStatusComplete},
	)
	var zoneIDs, ruleIDs []string
	r53 := fakeRoute53{zone: func(in *route53.GetHostedZoneInput) (*route53.GetHostedZoneOutput, error) {
		zoneIDs = append(zoneIDs, aws.ToString(in.Id))
		return &route53.GetHostedZoneOutput{HostedZone: &r53types.HostedZone{Name: aws.String("Ec2.us-east-1.amazonaws.com.")}}, nil
	}}
	res := fakeResolver{get: func(in *route53resolver.GetResolverRuleInput) (*route53resolver.GetResolverRuleOutput, error) {
		ruleIDs = append(ruleIDs, aws.ToString(in.ResolverRuleId))
		return &route53resolver.GetResolverRuleOutput{ResolverRule: &resolvertypes.ResolverRule{Id: aws.String("rslvr-rr-9"),
			DomainName: aws.String("amazonaws.com."), OwnerId: aws.String(network), RuleType: resolvertypes.RuleTypeOptionForward}}, nil
	}}
	pace := &countingPacer{}
	r := reader(r53, res, prof, pace)
	got, err := r.Profiles(t.Context(), vpcID, account)
	require.NoError(t, err)
	assert.Equal(t, map[string]rule.Profile{vpcID: {ID: "rp-1", Status: "COMPLETE",
		Zones:      []rule.HostedZone{{ID: "ZOWN", Name: ec2Name, OwnerAccount: account}},
		Rules:      []rule.ResolverRule{{ID: "rslvr-rr-9", DomainName: "amazonaws.com", OwnerID: network, Type: "FORWARD", Status: "COMPLETE"}},
		Unreadable: []rule.ProfileResource{{ARN: foreignZoneARN, OwnerID: network}},
	}}, got)
	assert.Equal(t, []string{"ZOWN"}, zoneIDs, "only the account's own zone is asked for, and a zone still CREATING is not")
	assert.Equal(t, []string{"rslvr-rr-9"}, ruleIDs)
	assert.Equal(t, 1, pace.n, "GetHostedZone is a Route 53 call; GetResolverRule is not")
	assert.Equal(t, 4, r.Calls)
}

// Another account's rule GetResolverRule refuses (not shared with this account, or gone) is not
// evidence and not a failure; any other error fails the read, naming the action.
func TestProfilesRuleThatCannotBeRead(t *testing.T) {
	prof := profileOf(t, profiletypes.ProfileResourceAssociation{ResourceArn: aws.String(sharedRuleARN), ResourceType: aws.String("RESOLVER_RULE"),
		OwnerId: aws.String(network), Name: aws.String("forward"), Status: profiletypes.ProfileStatusComplete})
	for _, code := range []string{"AccessDeniedException", "ResourceNotFoundException"} {
		res := fakeResolver{get: func(*route53resolver.GetResolverRuleInput) (*route53resolver.GetResolverRuleOutput, error) {
			return nil, &smithy.GenericAPIError{Code: code, Message: "no"}
		}}
		got, err := reader(nil, res, prof, &countingPacer{}).Profiles(t.Context(), vpcID, account)
		require.NoError(t, err, code)
		assert.Equal(t, map[string]rule.Profile{vpcID: {ID: "rp-1", Status: "COMPLETE",
			Unreadable: []rule.ProfileResource{{ARN: sharedRuleARN, OwnerID: network}}}}, got, code)
	}

	// The account's own rule refused: the role lacks the action.
	ownRule := profileOf(t, profiletypes.ProfileResourceAssociation{ResourceArn: aws.String("arn:aws:route53resolver:us-east-1:" + account + ":resolver-rule/rslvr-rr-1"),
		ResourceType: aws.String("RESOLVER_RULE"), OwnerId: aws.String(account), Name: aws.String("own"), Status: profiletypes.ProfileStatusComplete})
	denied := fakeResolver{get: func(*route53resolver.GetResolverRuleInput) (*route53resolver.GetResolverRuleOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	}}
	_, err := reader(nil, denied, ownRule, &countingPacer{}).Profiles(t.Context(), vpcID, account)
	var ce *CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "route53resolver:GetResolverRule", ce.Action)

	boom := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
	res := fakeResolver{get: func(*route53resolver.GetResolverRuleInput) (*route53resolver.GetResolverRuleOutput, error) {
		return nil, boom
	}}
	_, err = reader(nil, res, prof, &countingPacer{}).Profiles(t.Context(), vpcID, account)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "route53resolver:GetResolverRule", ce.Action)
	assert.ErrorIs(t, err, boom)

	// GetHostedZone failing on the account's own zone fails the read too.
	prof = profileOf(t, profiletypes.ProfileResourceAssociation{ResourceArn: aws.String(ownZoneARN), ResourceType: aws.String("PRIVATE_HOSTED_ZONE"),
		OwnerId: aws.String(account), Name: aws.String("own"), Status: profiletypes.ProfileStatusComplete})
	r53 := fakeRoute53{zone: func(*route53.GetHostedZoneInput) (*route53.GetHostedZoneOutput, error) { return nil, boom }}
	_, err = reader(r53, nil, prof, &countingPacer{}).Profiles(t.Context(), vpcID, account)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "route53:GetHostedZone", ce.Action)
}

func TestFailuresNameTheAction(t *testing.T) {
	boom := errors.New("boom")
	r := reader(
		fakeRoute53{
			byVPC: func(*route53.ListHostedZonesByVPCInput) (*route53.ListHostedZonesByVPCOutput, error) {
				return nil, boom
			},
			records: func(*route53.ListResourceRecordSetsInput) (*route53.ListResourceRecordSetsOutput, error) {
				return nil, boom
			},
		},
		fakeResolver{assoc: func(*route53resolver.ListResolverRuleAssociationsInput) (*route53resolver.ListResolverRuleAssociationsOutput, error) {
			return nil, boom
		}},
		fakeProfiles{assoc: func(*route53profiles.ListProfileAssociationsInput) (*route53profiles.ListProfileAssociationsOutput, error) {
			return nil, boom
		}},
		&countingPacer{})
	check := func(err error, action string) {
		t.Helper()
		var ce *CallError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, action, ce.Action)
		assert.ErrorIs(t, err, boom)
	}
	_, err := r.ZonesByVPC(t.Context(), vpcID)
	check(err, "route53:ListHostedZonesByVPC")
	_, err = r.Records(t.Context(), "Z1", ec2Name)
	check(err, "route53:ListResourceRecordSets")
	_, err = r.ResolverRules(t.Context(), "")
	check(err, "route53resolver:ListResolverRuleAssociations")
	_, err = r.Profiles(t.Context(), "", account)
	check(err, "route53profiles:ListProfileAssociations")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = New(Clients{Route53: func() Route53API { return fakeRoute53{} }}, "us-east-1", NewPacer()).ZonesByVPC(ctx, vpcID)
	assert.ErrorIs(t, err, context.Canceled, "a call that may not be made waits no longer than its context")
}

func TestUnescape(t *testing.T) {
	assert.Equal(t, "*.example.com.", unescape(`\052.example.com.`))
	assert.Equal(t, "plain.example.com", unescape("plain.example.com"))
	assert.Equal(t, `trailing\05`, unescape(`trailing\05`))
}

// Route 53 allows five requests a second per account (Route 53 API quotas). The pacer spaces
// calls a fifth of a second apart with no burst: the sixth call of a run waits a full second
// after the first. Reservations at one instant show it without a clock.
func TestNewPacerKeepsRoute53Quota(t *testing.T) {
	p := NewPacer()
	now := time.Now()
	var delays []time.Duration
	for range 6 {
		delays = append(delays, p.ReserveN(now, 1).DelayFrom(now))
	}
	assert.Equal(t, []time.Duration{0, 200 * time.Millisecond, 400 * time.Millisecond, 600 * time.Millisecond,
		800 * time.Millisecond, time.Second}, delays)
	assert.Equal(t, 1, p.Burst())
	assert.Equal(t, rate.Limit(5), p.Limit())
}

// A name whose record sets fill a page (weighted or multivalue sets) is read on the next page.
func TestRecordsFollowsTheNameToTheNextPage(t *testing.T) {
	var starts []string
	full := make([]r53types.ResourceRecordSet, 300)
	for i := range full {
		full[i] = r53types.ResourceRecordSet{Name: aws.String(ec2Name + "."), Type: r53types.RRTypeA, SetIdentifier: aws.String(string(rune('a' + i%26))),
			AliasTarget: &r53types.AliasTarget{DNSName: aws.String("vpce-1-a.ec2.us-east-1.vpce.amazonaws.com.")}}
	}
	r53 := fakeRoute53{records: func(in *route53.ListResourceRecordSetsInput) (*route53.ListResourceRecordSetsOutput, error) {
		starts = append(starts, aws.ToString(in.StartRecordIdentifier))
		if len(starts) == 1 {
			return &route53.ListResourceRecordSetsOutput{ResourceRecordSets: full, IsTruncated: true,
				NextRecordName: aws.String(ec2Name + "."), NextRecordType: r53types.RRTypeA, NextRecordIdentifier: aws.String("next")}, nil
		}
		return &route53.ListResourceRecordSetsOutput{ResourceRecordSets: []r53types.ResourceRecordSet{
			{Name: aws.String(ec2Name + "."), Type: r53types.RRTypeA, SetIdentifier: aws.String("next"), AliasTarget: &r53types.AliasTarget{DNSName: aws.String("proxy.corp.example.")}},
		}}, nil
	}}
	pace := &countingPacer{}
	recs, err := reader(r53, nil, nil, pace).Records(t.Context(), "Z1", ec2Name)
	require.NoError(t, err)
	assert.Len(t, recs, 301)
	assert.Equal(t, "proxy.corp.example.", recs[300].AliasTarget)
	assert.Equal(t, []string{"", "next"}, starts, "the second page starts where the first ended")
	assert.Equal(t, 2, pace.n, "each page waits for the pacer")
}

// A forwarding rule for "." (every name, a common rule to an on-premises resolver) keeps its
// domain: normalized like a name it would be "", which holds nothing.
func TestResolverRulesKeepsTheRootDomain(t *testing.T) {
	res := fakeResolver{
		assoc: func(*route53resolver.ListResolverRuleAssociationsInput) (*route53resolver.ListResolverRuleAssociationsOutput, error) {
			return &route53resolver.ListResolverRuleAssociationsOutput{ResolverRuleAssociations: []resolvertypes.ResolverRuleAssociation{
				{ResolverRuleId: aws.String("rslvr-rr-1"), VPCId: aws.String(vpcID), Status: resolvertypes.ResolverRuleAssociationStatusComplete},
			}}, nil
		},
		rules: func(*route53resolver.ListResolverRulesInput) (*route53resolver.ListResolverRulesOutput, error) {
			return &route53resolver.ListResolverRulesOutput{ResolverRules: []resolvertypes.ResolverRule{
				{Id: aws.String("rslvr-rr-1"), DomainName: aws.String("."), OwnerId: aws.String(network), RuleType: resolvertypes.RuleTypeOptionForward},
			}}, nil
		},
	}
	got, err := reader(nil, res, nil, &countingPacer{}).ResolverRules(t.Context(), vpcID)
	require.NoError(t, err)
	assert.Equal(t, map[string][]rule.ResolverRule{vpcID: {{ID: "rslvr-rr-1", DomainName: ".", OwnerID: network, Type: "FORWARD", Status: "COMPLETE"}}}, got)
}
