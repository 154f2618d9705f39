package main

import (
	"context"
	"errors"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53profiles"
	"github.com/aws/aws-sdk-go-v2/service/route53resolver"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/dns"
	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/findings"
)

// roleSessionName names the function's sessions in the member accounts' CloudTrail.
const roleSessionName = "ec2-vpc-endpoint-rule"

// clientFactory builds the function's clients from one aws.Config, and clients acting as an
// execution role in other accounts, kept for the life of the process.
type clientFactory struct {
	cfg    aws.Config
	own    clients
	sts    *sts.Client
	mu     sync.Mutex
	byRole map[string]clients
}

func newClientFactory(cfg aws.Config) *clientFactory {
	return &clientFactory{
		cfg:    cfg,
		own:    newClients(cfg),
		sts:    sts.NewFromConfig(cfg),
		byRole: make(map[string]clients),
	}
}

// newClients returns clients from cfg; the Security Hub client is made on first use.
func newClients(cfg aws.Config) clients {
	return clients{
		ec2:    ec2.NewFromConfig(cfg),
		config: configservice.NewFromConfig(cfg),
		securityHub: &lazySecurityHub{make: func() findings.API {
			return securityhub.NewFromConfig(cfg)
		}},
		dns:  newDNSClients(cfg),
		pace: dns.NewPacer(),
	}
}

// clientsFor returns the function's own clients for an empty roleARN, otherwise clients acting
// as roleARN. It assumes the role at once, so that a role that cannot be assumed is reported as
// such rather than as a failing EC2 call.
func (f *clientFactory) clientsFor(ctx context.Context, roleARN string) (clients, error) {
	if roleARN == "" {
		return f.own, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.byRole[roleARN]; ok {
		return c, nil
	}
	creds := aws.NewCredentialsCache(roleCredentials{
		CredentialsProvider: stscreds.NewAssumeRoleProvider(f.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = roleSessionName
		}),
		roleARN: roleARN,
	})
	if _, err := creds.Retrieve(ctx); err != nil {
		var re *assumeRoleError
		if errors.As(err, &re) {
			return clients{}, re
		}
		return clients{}, err
	}
	cfg := f.cfg.Copy()
	cfg.Credentials = creds
	// One pacer per account: Route 53's quota is the account's, across invocations.
	c := newClients(cfg)
	f.byRole[roleARN] = c
	return c, nil
}

// roleCredentials marks the errors of assuming roleARN, at first and at every refresh, so that
// they are reported as the role's failure and not as the permission of the call that needed them.
type roleCredentials struct {
	aws.CredentialsProvider
	roleARN string
}

func (r roleCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := r.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &assumeRoleError{roleARN: r.roleARN, err: err}
	}
	return c, nil
}

// countingEC2 counts the EC2 calls made through it.
type countingEC2 struct {
	ec2API
	n *int
}

func (c countingEC2) DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	*c.n++
	return c.ec2API.DescribeVpcs(ctx, in, opts...)
}

func (c countingEC2) DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error) {
	*c.n++
	return c.ec2API.DescribeVpcEndpoints(ctx, in, opts...)
}

func (c countingEC2) DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	*c.n++
	return c.ec2API.DescribeSubnets(ctx, in, opts...)
}

func (c countingEC2) DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error) {
	*c.n++
	return c.ec2API.DescribeSecurityGroups(ctx, in, opts...)
}

// countingConfig counts the Config calls made through it.
type countingConfig struct {
	configAPI
	n *int
}

func (c countingConfig) PutEvaluations(ctx context.Context, in *configservice.PutEvaluationsInput, opts ...func(*configservice.Options)) (*configservice.PutEvaluationsOutput, error) {
	*c.n++
	return c.configAPI.PutEvaluations(ctx, in, opts...)
}

func (c countingConfig) GetComplianceDetailsByConfigRule(ctx context.Context, in *configservice.GetComplianceDetailsByConfigRuleInput, opts ...func(*configservice.Options)) (*configservice.GetComplianceDetailsByConfigRuleOutput, error) {
	*c.n++
	return c.configAPI.GetComplianceDetailsByConfigRule(ctx, in, opts...)
}

// countingSecurityHub counts the Security Hub calls made through it.
type countingSecurityHub struct {
	findings.API
	n *int
}

func (c countingSecurityHub) BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	*c.n++
	return c.API.BatchImportFindings(ctx, in, opts...)
}

func (c countingSecurityHub) GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error) {
	*c.n++
	return c.API.GetFindings(ctx, in, opts...)
}

func (c countingEC2) DescribeVpcEndpointServices(ctx context.Context, in *ec2.DescribeVpcEndpointServicesInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointServicesOutput, error) {
	*c.n++
	return c.ec2API.DescribeVpcEndpointServices(ctx, in, opts...)
}

func (c countingEC2) DescribeNetworkInterfaces(ctx context.Context, in *ec2.DescribeNetworkInterfacesInput, opts ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error) {
	*c.n++
	return c.ec2API.DescribeNetworkInterfaces(ctx, in, opts...)
}

// newDNSClients returns the Route 53, Resolver and Profiles clients for cfg, each built when
// first asked for: most invocations (allowCentralEndpoints off) need none. Route 53 is a global
// service; the SDK resolves its endpoint and signing Region from the partition of cfg.Region,
// and AWS_ENDPOINT_URL_ROUTE_53 (or a BaseEndpoint) points it elsewhere.
func newDNSClients(cfg aws.Config) dns.Clients {
	r53 := sync.OnceValue(func() *route53.Client { return route53.NewFromConfig(cfg) })
	resolver := sync.OnceValue(func() *route53resolver.Client { return route53resolver.NewFromConfig(cfg) })
	profiles := sync.OnceValue(func() *route53profiles.Client { return route53profiles.NewFromConfig(cfg) })
	return dns.Clients{
		Route53:  func() dns.Route53API { return r53() },
		Resolver: func() dns.ResolverAPI { return resolver() },
		Profiles: func() dns.ProfilesAPI { return profiles() },
	}
}
