package localaws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53profiles"
	"github.com/aws/aws-sdk-go-v2/service/route53resolver"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
)

// AWSConfig returns an SDK configuration for the local servers: region and static test
// credentials (so instance metadata is never asked), loaded as the function loads its own.
func AWSConfig(ctx context.Context, region string, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
	}, optFns...)
	return config.LoadDefaultConfig(ctx, opts...)
}

// EC2Client returns an EC2 client that sends its calls to url (a Moto's URL or ServerURL).
func EC2Client(cfg aws.Config, url string) *ec2.Client {
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(url) })
}

// OrganizationsClient returns an AWS Organizations client that sends its calls to url (an
// Organizations fake's URL).
func OrganizationsClient(cfg aws.Config, url string) *organizations.Client {
	return organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(url) })
}

// ConfigClient returns an AWS Config client that sends its calls to url (a ConfigService's URL).
func ConfigClient(cfg aws.Config, url string) *configservice.Client {
	return configservice.NewFromConfig(cfg, func(o *configservice.Options) { o.BaseEndpoint = aws.String(url) })
}

// SecurityHubClient returns a Security Hub client that sends its calls to url (a SecurityHub's URL).
func SecurityHubClient(cfg aws.Config, url string) *securityhub.Client {
	return securityhub.NewFromConfig(cfg, func(o *securityhub.Options) { o.BaseEndpoint = aws.String(url) })
}

// Route53Client returns a Route 53 client that sends its calls to url (a Moto's URL or ServerURL).
func Route53Client(cfg aws.Config, url string) *route53.Client {
	return route53.NewFromConfig(cfg, func(o *route53.Options) { o.BaseEndpoint = aws.String(url) })
}

// ResolverClient returns a Route 53 Resolver client that sends its calls to url (a Moto's URL or
// ServerURL).
func ResolverClient(cfg aws.Config, url string) *route53resolver.Client {
	return route53resolver.NewFromConfig(cfg, func(o *route53resolver.Options) { o.BaseEndpoint = aws.String(url) })
}

// ProfilesClient returns a Route 53 Profiles client that sends its calls to url (a Profiles
// fake's URL).
func ProfilesClient(cfg aws.Config, url string) *route53profiles.Client {
	return route53profiles.NewFromConfig(cfg, func(o *route53profiles.Options) { o.BaseEndpoint = aws.String(url) })
}
