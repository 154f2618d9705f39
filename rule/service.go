package rule

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Service is an AWS service that every VPC must reach through an interface endpoint, by its
// short name as it appears at the end of an endpoint service name ("ec2", "ecr.api").
type Service struct {
	Name string
}

// commonPrefix starts the endpoint service names of AWS services in most regions and of most
// services everywhere: com.amazonaws.<region>.<service>.
const commonPrefix = "com.amazonaws"

const fipsSuffix = "-fips"

// partitionPrefixes are the other prefixes of endpoint service names, by the region-name prefix
// of the partition that uses them. Within such a partition some services take the partition's
// prefix and others keep com.amazonaws (servicesWithPartitionPrefix says which). Longer region
// prefixes come first: "us-isob-" and "us-isof-" also start with "us-iso".
//
// Source: AWS CDK, packages/aws-cdk-lib/aws-ec2/lib/vpc-endpoint.ts,
// InterfaceVpcEndpointAwsService.getDefaultEndpointPrefix; the Terraform AWS provider's
// ReverseDNS maps the DNS suffixes c2s.ic.gov and sc2s.sgov.gov to the same prefixes.
var partitionPrefixes = []struct{ regionPrefix, namePrefix string }{
	{"us-isob-", "gov.sgov.sc2s"},
	{"us-isof-", "gov.ic.hci.csp"},
	{"us-iso-", "gov.ic.c2s"},
	{"eu-isoe-", "uk.adc-e.cloud"},
	{"eusc-", "eu.amazonaws"},
	{"cn-", "cn.com.amazonaws"},
}

// servicesWithPartitionPrefix lists, by region, the services whose endpoint service name takes
// the partition's prefix there (gov.ic.c2s.us-iso-east-1.ec2); every other service in every
// region is com.amazonaws.<region>.<service>. From AWS CDK's VPC_ENDPOINT_SERVICE_EXCEPTIONS in
// getDefaultEndpointPrefix (same file as above); DescribeVpcEndpointServices answers the exact
// names a region offers.
var servicesWithPartitionPrefix = map[string][]string{
	"cn-north-1": {"application-autoscaling", "appmesh-envoy-management", "athena", "autoscaling", "awsconnector",
		"backup", "batch", "cassandra", "cloudcontrolapi", "cloudformation", "codedeploy-commands-secure", "databrew", "dms",
		"ebs", "ec2", "ecr.api", "ecr.dkr", "eks", "elasticache", "elasticbeanstalk", "elasticfilesystem",
		"elasticfilesystem-fips", "emr-containers", "execute-api", "fsx", "imagebuilder", "iot.data", "iotsitewise.api",
		"iotsitewise.data", "kinesis-streams", "lambda", "license-manager", "monitoring", "rds", "redshift", "redshift-data",
		"s3", "sagemaker.api", "sagemaker.featurestore-runtime", "sagemaker.runtime", "securityhub", "servicecatalog",
		"sms", "sqs", "states", "sts", "sync-states", "synthetics", "transcribe", "transcribestreaming", "transfer", "xray"},
	"cn-northwest-1": {"account", "application-autoscaling", "appmesh-envoy-management", "athena", "autoscaling", "awsconnector",
		"backup", "batch", "cassandra", "cloudcontrolapi", "cloudformation", "codedeploy-commands-secure", "databrew", "dms", "ebs", "ec2",
		"ecr.api", "ecr.dkr", "eks", "elasticache", "elasticbeanstalk", "elasticfilesystem", "elasticfilesystem-fips", "emr-containers",
		"execute-api", "fsx", "imagebuilder", "iot.data", "kinesis-streams", "lambda", "license-manager", "monitoring", "polly", "rds",
		"redshift", "redshift-data", "s3", "sagemaker.api", "sagemaker.featurestore-runtime", "sagemaker.runtime", "securityhub",
		"servicecatalog", "sms", "sqs", "states", "sts", "sync-states", "synthetics", "transcribe", "transcribestreaming", "transfer",
		"workspaces", "xray"},
	"eusc-de-east-1": {"ecr.dkr", "ecr.api", "execute-api", "securityhub"},
	"us-iso-east-1": {"application-autoscaling", "athena", "autoscaling", "comprehend", "diode-messaging",
		"diode-messaging-proxy", "ebs", "ec2", "ecr.api", "ecr.dkr", "elasticfilesystem", "elasticfilesystem-fips",
		"execute-api", "sagemaker.api", "sagemaker.runtime", "sns", "sqs", "textract", "textract-fips", "transcribe",
		"workspaces"},
	"us-iso-west-1": {"autoscaling", "ebs", "ec2", "ecr.api", "ecr.dkr", "elasticfilesystem", "elasticfilesystem-fips",
		"execute-api", "monitoring", "sns", "sqs", "workspaces"},
	"us-isob-east-1": {"application-autoscaling", "autoscaling", "diode-messaging", "diode-messaging-proxy", "ebs",
		"ec2", "ecr.api", "ecr.dkr", "elasticfilesystem", "elasticfilesystem-fips", "execute-api", "sagemaker.api",
		"sagemaker.runtime", "sns", "sqs", "workspaces"},
	"us-isob-west-1":  {"ecr.api", "ecr.dkr", "elasticfilesystem-fips", "execute-api"},
	"us-isof-south-1": {"ebs", "ecr.api", "ecr.dkr", "execute-api"},
	"us-isof-east-1":  {"ebs", "ecr.api", "ecr.dkr", "execute-api"},
	"eu-isoe-west-1":  {"ebs", "ecr.api", "ecr.dkr", "execute-api"},
}

// servicesWithChinaSuffix lists, by region, the services whose endpoint service name ends in
// ".cn" there (cn.com.amazonaws.cn-north-1.transcribe.cn). From AWS CDK's
// getDefaultEndpointSuffix (same file as above).
var servicesWithChinaSuffix = map[string][]string{
	"cn-north-1":     {"transcribe"},
	"cn-northwest-1": {"transcribe"},
}

const chinaSuffix = ".cn"

var (
	shortServiceName = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)
	// regionName is one label of a service name that names a region: us-east-1, cn-north-1,
	// us-gov-west-1, us-isob-east-1, eusc-de-east-1.
	regionName = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$`)
	// regionWithin finds a region name inside a label (ec2-us-east-1), where no service's short
	// name has one: by the region codes AWS uses.
	regionWithin = regexp.MustCompile(`(^|[.-])(af|ap|ca|cn|eu|eusc|il|me|mx|sa|us)(-[a-z]+)+-[0-9]{1,2}($|[.-])`)
)

// gatewayServices are the services that offer Gateway endpoints besides Interface ones (AWS
// CDK's GatewayVpcEndpointAwsService: DYNAMODB, S3, S3_EXPRESS). EC2 offers none.
var gatewayServices = []string{"s3", "dynamodb", "s3express"}

// OffersGateway reports whether s offers Gateway endpoints, which then count for it as they do
// for the managed rule vpc-endpoint-enabled.
func (s Service) OffersGateway() bool { return slices.Contains(gatewayServices, s.Name) }

// partitionPrefix returns the other endpoint service name prefix of region's partition, or ""
// when the partition uses only com.amazonaws.
func partitionPrefix(region string) string {
	for _, p := range partitionPrefixes {
		if strings.HasPrefix(region, p.regionPrefix) {
			return p.namePrefix
		}
	}
	return ""
}

// namePrefixes returns the prefixes endpoint service names have in region: com.amazonaws, and
// the partition's own where it has one.
func namePrefixes(region string) []string {
	if p := partitionPrefix(region); p != "" {
		return []string{commonPrefix, p}
	}
	return []string{commonPrefix}
}

// listed reports whether table lists name (or, for a FIPS name, its base) in region.
func listed(table map[string][]string, region, name string) bool {
	return slices.Contains(table[region], name) || slices.Contains(table[region], strings.TrimSuffix(name, fipsSuffix))
}

// FullName returns the endpoint service name of s in region as AWS spells it there:
// com.amazonaws.us-east-1.ec2, cn.com.amazonaws.cn-north-1.ec2, gov.ic.c2s.us-iso-east-1.ec2.
func (s Service) FullName(region string) string {
	prefix := commonPrefix
	if p := partitionPrefix(region); p != "" && listed(servicesWithPartitionPrefix, region, s.Name) {
		prefix = p
	}
	name := prefix + "." + region + "." + s.Name
	if listed(servicesWithChinaSuffix, region, s.Name) {
		name += chinaSuffix
	}
	return name
}

// EndpointServiceNames returns every endpoint service name that provides s in region: under each
// prefix the region's partition uses, the name and its FIPS variant (and, where AWS spells it so,
// the ".cn" form). They are exact names, fit for an API filter, and exactly the names Matches
// accepts.
func (s Service) EndpointServiceNames(region string) []string {
	out := make([]string, 0, 4)
	for _, prefix := range namePrefixes(region) {
		base := prefix + "." + region + "." + s.Name
		out = append(out, base, base+fipsSuffix)
		if listed(servicesWithChinaSuffix, region, s.Name) {
			out = append(out, base+chinaSuffix)
		}
	}
	return out
}

// Matches reports whether serviceName is exactly an endpoint service name that provides s in
// region. Substrings, other services, other regions and other partitions' prefixes never match.
// Both com.amazonaws and the partition's own prefix match whatever the table says of s: AWS
// offers only one of them, and a service that changes form stays matched.
func (s Service) Matches(serviceName, region string) bool {
	// Compared piece by piece: a sweep matches every endpoint of the region, and building the
	// candidate names for each would allocate.
	for _, prefix := range [2]string{commonPrefix, partitionPrefix(region)} {
		rest, ok := strings.CutPrefix(serviceName, prefix)
		if !ok || prefix == "" {
			continue
		}
		if rest, ok = strings.CutPrefix(rest, "."); !ok {
			continue
		}
		if rest, ok = strings.CutPrefix(rest, region); !ok {
			continue
		}
		if rest, ok = strings.CutPrefix(rest, "."); !ok {
			continue
		}
		if rest == s.Name || rest == s.Name+fipsSuffix || (rest == s.Name+chinaSuffix && listed(servicesWithChinaSuffix, region, s.Name)) {
			return true
		}
	}
	return false
}

// parseService reads one item of the serviceNames parameter: a short name ("ec2", "ecr.api") or
// a full name for region under a prefix its partition uses ("com.amazonaws.us-east-1.ec2",
// "cn.com.amazonaws.cn-north-1.ec2", "gov.ic.c2s.us-iso-east-1.ec2"). An item that names a
// region, or starts like a prefix, but is no such full name is an error: taken as a short name,
// it could never match.
func parseService(item, region string) (Service, error) {
	name := strings.ToLower(item)
	if !shortServiceName.MatchString(name) {
		return Service{}, fmt.Errorf("%q is neither a short service name (ec2, ecr.api) nor a full one (%s)", item, Service{Name: "ec2"}.FullName(region))
	}
	labels := strings.Split(name, ".")
	at := slices.IndexFunc(labels, regionName.MatchString)
	if at < 0 {
		if found := regionWithin.FindString(name); found != "" {
			return Service{}, fmt.Errorf("%q holds the region name %s, which no short service name does; give the short name (ec2) or a full name (%s)",
				item, strings.Trim(found, ".-"), Service{Name: "ec2"}.FullName(region))
		}
		if isPrefixStart(labels[0]) {
			return Service{}, fmt.Errorf("%q starts like a full service name but names no region; give the short name or the full name %s", item, Service{Name: "ec2"}.FullName(region))
		}
		return Service{Name: name}, nil
	}
	prefix := strings.Join(labels[:at], ".")
	itemRegion, short := labels[at], strings.Join(labels[at+1:], ".")
	switch {
	case !slices.Contains(knownPrefixes(), prefix):
		return Service{}, fmt.Errorf("%q is not a full service name the rule knows: its prefix %q is none of %s", item, prefix, strings.Join(knownPrefixes(), ", "))
	case short == "":
		return Service{}, fmt.Errorf("%q names no service after the region: a full name has the form %s.<region>.<service>", item, prefix)
	case itemRegion != region:
		return Service{}, fmt.Errorf("%q names region %s, but the rule evaluates region %s; use the short name %q", item, itemRegion, region, short)
	case !slices.Contains(namePrefixes(region), prefix):
		return Service{}, fmt.Errorf("%q has the prefix %s, which region %s does not use; use the short name %q", item, prefix, region, short)
	}
	if short != "transcribe"+chinaSuffix || !listed(servicesWithChinaSuffix, region, "transcribe") {
		return Service{Name: short}, nil
	}
	return Service{Name: strings.TrimSuffix(short, chinaSuffix)}, nil
}

// knownPrefixes returns every endpoint service name prefix of every partition.
func knownPrefixes() []string {
	out := []string{commonPrefix}
	for _, p := range partitionPrefixes {
		out = append(out, p.namePrefix)
	}
	return out
}

// isPrefixStart reports whether label is the first label of a known prefix ("com", "gov", "cn")
// or "aws", which starts names of other forms (aws.sagemaker.<region>.notebook): no service's
// short name starts so.
func isPrefixStart(label string) bool {
	if label == "aws" {
		return true
	}
	return slices.ContainsFunc(knownPrefixes(), func(p string) bool { first, _, _ := strings.Cut(p, "."); return first == label })
}

// Partition returns the partition of an AWS region ("aws" for us-east-1, "aws-cn" for
// cn-north-1).
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}
