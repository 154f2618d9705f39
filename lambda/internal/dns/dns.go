// Package dns reads what a VPC's DNS does with a name, from Route 53 (private hosted zones and
// their records), Route 53 Resolver (rules and their associations) and Route 53 Profiles: the
// facts of the rule's central-endpoint check (rule.DNS). It only reads, every listing to its
// last page, and paces its Route 53 calls to the API's limit of five requests a second per
// account instead of leaning on throttling retries.
//
// For another capability that only needs to know whether a VPC already has a private hosted
// zone for a service's DNS name (creating an endpoint with private DNS there would fail), see
// [Reader.ZoneFor].
package dns

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/route53profiles"
	"github.com/aws/aws-sdk-go-v2/service/route53resolver"
	resolvertypes "github.com/aws/aws-sdk-go-v2/service/route53resolver/types"
	"github.com/aws/smithy-go"
	"golang.org/x/time/rate"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// The IAM actions the package calls.
const (
	ActionListHostedZonesByVPC            = "route53:ListHostedZonesByVPC"
	ActionListResourceRecordSets          = "route53:ListResourceRecordSets"
	ActionGetHostedZone                   = "route53:GetHostedZone"
	ActionListResolverRules               = "route53resolver:ListResolverRules"
	ActionGetResolverRule                 = "route53resolver:GetResolverRule"
	ActionListResolverRuleAssociations    = "route53resolver:ListResolverRuleAssociations"
	ActionListProfileAssociations         = "route53profiles:ListProfileAssociations"
	ActionListProfileResourceAssociations = "route53profiles:ListProfileResourceAssociations"
)

// Route53RequestsPerSecond is the pace of the Route 53 calls: the API's quota per account.
const Route53RequestsPerSecond = 5

// NewPacer returns a limiter for one account's Route 53 calls: one call every 1/5 s, no burst,
// so that no second holds more than five calls.
func NewPacer() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(Route53RequestsPerSecond), 1)
}

// Pacer delays a call until it may be made.
type Pacer interface {
	Wait(ctx context.Context) error
}

// Route53API is the part of the Route 53 API the reader calls.
type Route53API interface {
	ListHostedZonesByVPC(ctx context.Context, in *route53.ListHostedZonesByVPCInput, optFns ...func(*route53.Options)) (*route53.ListHostedZonesByVPCOutput, error)
	GetHostedZone(ctx context.Context, in *route53.GetHostedZoneInput, optFns ...func(*route53.Options)) (*route53.GetHostedZoneOutput, error)
	route53.ListResourceRecordSetsAPIClient
}

// ResolverAPI is the part of the Route 53 Resolver API the reader calls.
type ResolverAPI interface {
	route53resolver.ListResolverRulesAPIClient
	route53resolver.ListResolverRuleAssociationsAPIClient
	GetResolverRule(ctx context.Context, in *route53resolver.GetResolverRuleInput, optFns ...func(*route53resolver.Options)) (*route53resolver.GetResolverRuleOutput, error)
}

// ProfilesAPI is the part of the Route 53 Profiles API the reader calls.
type ProfilesAPI interface {
	route53profiles.ListProfileAssociationsAPIClient
	route53profiles.ListProfileResourceAssociationsAPIClient
}

// Clients are the API clients a Reader uses. Each is asked for only when a read needs it, so an
// invocation that reads no Resolver rules builds no Resolver client.
type Clients struct {
	Route53  func() Route53API
	Resolver func() ResolverAPI
	Profiles func() ProfilesAPI
}

// CallError is a failed call: Action is the IAM action it needs, Err the SDK's error.
type CallError struct {
	Action string
	Err    error
}

func (e *CallError) Error() string { return e.Action + ": " + e.Err.Error() }

// Unwrap returns the SDK's error.
func (e *CallError) Unwrap() error { return e.Err }

func callError(action string, err error) error {
	var ce *CallError
	if errors.As(err, &ce) {
		return err
	}
	return &CallError{Action: action, Err: err}
}

// Reader reads the DNS facts of one account and region for one invocation, each once: it keeps
// what it has read (records per zone and name, the account's Resolver rules).
type Reader struct {
	clients Clients
	region  string
	pace    Pacer
	// Calls counts the calls made, for the invocation's summary.
	Calls int

	records map[recordKey][]rule.Record
	rules   map[string]rule.ResolverRule // by rule ID; nil until read
}

type recordKey struct{ zoneID, name string }

// New returns a Reader for region whose Route 53 calls wait for pace.
func New(c Clients, region string, pace Pacer) *Reader {
	return &Reader{clients: c, region: region, pace: pace, records: make(map[recordKey][]rule.Record)}
}

func (r *Reader) route53Call(ctx context.Context) error {
	if err := r.pace.Wait(ctx); err != nil {
		return err
	}
	r.Calls++
	return nil
}

// ZonesByVPC returns the private hosted zones associated with vpcID directly, whoever owns them
// (zones associated through a Profile are not among them; see Profiles).
func (r *Reader) ZonesByVPC(ctx context.Context, vpcID string) ([]rule.HostedZone, error) {
	in := &route53.ListHostedZonesByVPCInput{VPCId: aws.String(vpcID), VPCRegion: r53types.VPCRegion(r.region)}
	var out []rule.HostedZone
	// The SDK has no paginator for this operation: follow NextToken.
	for {
		if err := r.route53Call(ctx); err != nil {
			return nil, callError(ActionListHostedZonesByVPC, err)
		}
		page, err := r.clients.Route53().ListHostedZonesByVPC(ctx, in)
		if err != nil {
			return nil, callError(ActionListHostedZonesByVPC, err)
		}
		for _, z := range page.HostedZoneSummaries {
			hz := rule.HostedZone{ID: zoneID(aws.ToString(z.HostedZoneId)), Name: rule.NormalizeDNSName(aws.ToString(z.Name))}
			if z.Owner != nil {
				hz.OwnerAccount = aws.ToString(z.Owner.OwningAccount)
				hz.OwnerService = aws.ToString(z.Owner.OwningService)
			}
			out = append(out, hz)
		}
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// ZoneFor returns the private hosted zone associated directly with vpcID that answers name
// (a zone for name or a parent of it; the most specific, as Route 53 Resolver chooses), and
// whether there is one. One paced ListHostedZonesByVPC listing.
func (r *Reader) ZoneFor(ctx context.Context, vpcID, name string) (rule.HostedZone, bool, error) {
	zones, err := r.ZonesByVPC(ctx, vpcID)
	if err != nil {
		return rule.HostedZone{}, false, err
	}
	var best rule.HostedZone
	found := false
	for _, z := range zones {
		if rule.ZoneServes(z.Name, name) && (!found || len(z.Name) > len(best.Name)) {
			best, found = z, true
		}
	}
	return best, found, nil
}

// maxRecordsPage is the largest page ListResourceRecordSets returns.
const maxRecordsPage = 300

// Records returns the records of zone zoneID named name, read once per Reader: one listing from
// name on, to the first record of another name (Route 53 lists a name's records together).
func (r *Reader) Records(ctx context.Context, zoneID, name string) ([]rule.Record, error) {
	name = rule.NormalizeDNSName(name)
	key := recordKey{zoneID, name}
	if recs, ok := r.records[key]; ok {
		return recs, nil
	}
	recs := []rule.Record{}
	pages := route53.NewListResourceRecordSetsPaginator(r.clients.Route53(), &route53.ListResourceRecordSetsInput{
		HostedZoneId:    aws.String(zoneID),
		StartRecordName: aws.String(name),
		MaxItems:        aws.Int32(maxRecordsPage),
	})
	for done := false; !done && pages.HasMorePages(); {
		if err := r.route53Call(ctx); err != nil {
			return nil, callError(ActionListResourceRecordSets, err)
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, callError(ActionListResourceRecordSets, err)
		}
		for _, rs := range page.ResourceRecordSets {
			if rule.NormalizeDNSName(unescape(aws.ToString(rs.Name))) != name {
				done = true
				break
			}
			rec := rule.Record{Name: name, Type: string(rs.Type)}
			if rs.AliasTarget != nil {
				rec.AliasTarget = aws.ToString(rs.AliasTarget.DNSName)
			}
			for _, v := range rs.ResourceRecords {
				rec.Values = append(rec.Values, aws.ToString(v.Value))
			}
			recs = append(recs, rec)
		}
	}
	r.records[key] = recs
	return recs, nil
}

// ZoneName returns the name of zone zoneID, which the evaluated account owns.
func (r *Reader) ZoneName(ctx context.Context, zoneID string) (string, error) {
	if err := r.route53Call(ctx); err != nil {
		return "", callError(ActionGetHostedZone, err)
	}
	out, err := r.clients.Route53().GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zoneID)})
	if err != nil {
		return "", callError(ActionGetHostedZone, err)
	}
	if out.HostedZone == nil {
		return "", callError(ActionGetHostedZone, fmt.Errorf("zone %s: answer without a hosted zone", zoneID))
	}
	return rule.NormalizeDNSName(aws.ToString(out.HostedZone.Name)), nil
}

// ResolverRules returns, by VPC ID, the Resolver rules associated with vpcID (every VPC for an
// empty vpcID): one listing of the associations and, when there are any, one of the account's
// rules (its own and those shared with it).
func (r *Reader) ResolverRules(ctx context.Context, vpcID string) (map[string][]rule.ResolverRule, error) {
	in := &route53resolver.ListResolverRuleAssociationsInput{MaxResults: aws.Int32(maxResolverPage)}
	if vpcID != "" {
		in.Filters = []resolvertypes.Filter{{Name: aws.String("VPCId"), Values: []string{vpcID}}}
	}
	var assocs []resolvertypes.ResolverRuleAssociation
	pages := route53resolver.NewListResolverRuleAssociationsPaginator(r.clients.Resolver(), in)
	for pages.HasMorePages() {
		r.Calls++
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, callError(ActionListResolverRuleAssociations, err)
		}
		assocs = append(assocs, page.ResolverRuleAssociations...)
	}
	out := make(map[string][]rule.ResolverRule)
	if len(assocs) == 0 {
		return out, nil
	}
	byID, err := r.accountRules(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range assocs {
		rr := byID[aws.ToString(a.ResolverRuleId)]
		rr.ID = aws.ToString(a.ResolverRuleId)
		rr.Status = string(a.Status)
		vpc := aws.ToString(a.VPCId)
		out[vpc] = append(out[vpc], rr)
	}
	return out, nil
}

// maxResolverPage is the largest page the Resolver and Profiles list calls return.
const maxResolverPage = 100

// accountRules lists the Resolver rules the account owns or is shared, once per Reader.
func (r *Reader) accountRules(ctx context.Context) (map[string]rule.ResolverRule, error) {
	if r.rules != nil {
		return r.rules, nil
	}
	rules := make(map[string]rule.ResolverRule)
	pages := route53resolver.NewListResolverRulesPaginator(r.clients.Resolver(), &route53resolver.ListResolverRulesInput{MaxResults: aws.Int32(maxResolverPage)})
	for pages.HasMorePages() {
		r.Calls++
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, callError(ActionListResolverRules, err)
		}
		for _, rr := range page.ResolverRules {
			rules[aws.ToString(rr.Id)] = resolverRuleOf(rr)
		}
	}
	r.rules = rules
	return rules, nil
}

// Profiles returns, by VPC ID, the Route 53 Profile associated with vpcID (every VPC for an
// empty vpcID), with the zones and rules each carries: one listing of the associations, one of
// each Profile's resources, and each resource's domain read from its ARN (a resource
// association's Name is a label its owner chooses, never the domain): GetHostedZone for a zone
// the account owns, GetResolverRule for a rule. A zone of another account, or a rule this
// account may not read, is listed in Profile.Unreadable: it cannot be evidence.
func (r *Reader) Profiles(ctx context.Context, vpcID, accountID string) (map[string]rule.Profile, error) {
	in := &route53profiles.ListProfileAssociationsInput{MaxResults: aws.Int32(maxResolverPage)}
	if vpcID != "" {
		in.ResourceId = aws.String(vpcID)
	}
	out := make(map[string]rule.Profile)
	carried := make(map[string]rule.Profile) // by Profile ID: its zones and rules
	pages := route53profiles.NewListProfileAssociationsPaginator(r.clients.Profiles(), in)
	for pages.HasMorePages() {
		r.Calls++
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, callError(ActionListProfileAssociations, err)
		}
		for _, a := range page.ProfileAssociations {
			id := aws.ToString(a.ProfileId)
			p, ok := carried[id]
			if !ok {
				if p, err = r.profileResources(ctx, id, accountID); err != nil {
					return nil, err
				}
				carried[id] = p
			}
			p.Status = string(a.Status)
			out[vpcOf(aws.ToString(a.ResourceId))] = p
		}
	}
	return out, nil
}

// profileResources lists the zones and rules Profile id carries, each with its domain.
func (r *Reader) profileResources(ctx context.Context, id, accountID string) (rule.Profile, error) {
	p := rule.Profile{ID: id}
	pages := route53profiles.NewListProfileResourceAssociationsPaginator(r.clients.Profiles(),
		&route53profiles.ListProfileResourceAssociationsInput{ProfileId: aws.String(id), MaxResults: aws.Int32(maxResolverPage)})
	for pages.HasMorePages() {
		r.Calls++
		page, err := pages.NextPage(ctx)
		if err != nil {
			return p, callError(ActionListProfileResourceAssociations, err)
		}
		for _, ra := range page.ProfileResourceAssociations {
			resARN := aws.ToString(ra.ResourceArn)
			status := string(ra.Status)
			switch kind, resID := resourceOf(resARN); kind {
			case "hostedzone":
				if status != "COMPLETE" {
					continue // a zone whose association is not complete answers nothing yet
				}
				// A zone's ARN names no account: the association's owner, who may only add
				// zones it owns, owns it. Another account's zone cannot be read from here.
				owner := aws.ToString(ra.OwnerId)
				if owner != accountID {
					p.Unreadable = append(p.Unreadable, rule.ProfileResource{ARN: resARN, OwnerID: owner})
					continue
				}
				name, err := r.ZoneName(ctx, resID)
				if err != nil {
					return p, err
				}
				p.Zones = append(p.Zones, rule.HostedZone{ID: resID, Name: name, OwnerAccount: owner})
			case "resolver-rule":
				owner := aws.ToString(ra.OwnerId)
				if a, err := arn.Parse(resARN); err == nil && a.AccountID != "" {
					owner = a.AccountID
				}
				rr, readable, err := r.resolverRule(ctx, resID, owner != accountID)
				if err != nil {
					return p, err
				}
				if !readable {
					p.Unreadable = append(p.Unreadable, rule.ProfileResource{ARN: resARN, OwnerID: owner})
					continue
				}
				rr.Status = status
				p.Rules = append(p.Rules, rr)
			}
		}
	}
	return p, nil
}

// resolverRule reads Resolver rule id, the account's own or shared with it, and whether this
// account may read it. GetResolverRule refusing another account's rule (AccessDenied: not
// shared with this account; ResourceNotFound) is not a failure, only a rule that cannot be
// evidence; for the account's own rule, AccessDenied is the role lacking the action.
func (r *Reader) resolverRule(ctx context.Context, id string, foreign bool) (rule.ResolverRule, bool, error) {
	r.Calls++
	out, err := r.clients.Resolver().GetResolverRule(ctx, &route53resolver.GetResolverRuleInput{ResolverRuleId: aws.String(id)})
	var ae smithy.APIError
	switch {
	case errors.As(err, &ae) && (ae.ErrorCode() == "ResourceNotFoundException" || foreign && ae.ErrorCode() == "AccessDeniedException"):
		return rule.ResolverRule{}, false, nil
	case err != nil:
		return rule.ResolverRule{}, false, callError(ActionGetResolverRule, err)
	case out.ResolverRule == nil:
		return rule.ResolverRule{}, false, callError(ActionGetResolverRule, fmt.Errorf("rule %s: answer without a rule", id))
	}
	return resolverRuleOf(*out.ResolverRule), true, nil
}

// resolverRuleOf returns rr as the rule package holds it, without an association status.
func resolverRuleOf(rr resolvertypes.ResolverRule) rule.ResolverRule {
	domain := aws.ToString(rr.DomainName)
	if strings.TrimSpace(domain) != "." { // the root stays ".": a rule for every name
		domain = rule.NormalizeDNSName(domain)
	}
	return rule.ResolverRule{ID: aws.ToString(rr.Id), DomainName: domain, OwnerID: aws.ToString(rr.OwnerId), Type: string(rr.RuleType)}
}

// resourceOf returns the kind ("hostedzone", "resolver-rule") and ID of a resource ARN.
func resourceOf(resARN string) (kind, id string) {
	a, err := arn.Parse(resARN)
	if err != nil {
		return "", ""
	}
	kind, id, _ = strings.Cut(a.Resource, "/")
	return kind, id
}

// vpcOf returns the VPC ID of a Profile association's resource, which is a VPC ID or ARN.
func vpcOf(resource string) string {
	if i := strings.LastIndex(resource, "/"); i >= 0 {
		return resource[i+1:]
	}
	return resource
}

// zoneID returns a hosted zone ID without its "/hostedzone/" prefix.
func zoneID(id string) string {
	return strings.TrimPrefix(id, "/hostedzone/")
}

// unescape decodes the octal escapes Route 53 writes in record names (\052 for *).
func unescape(name string) string {
	if !strings.Contains(name, `\`) {
		return name
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] == '\\' && i+4 <= len(name) {
			var v int
			if _, err := fmt.Sscanf(name[i+1:i+4], "%03o", &v); err == nil && v < 256 {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(name[i])
	}
	return b.String()
}
