package rule

import (
	"fmt"
	"regexp"
	"strings"
)

// Service is an AWS service that every VPC must reach through an interface endpoint, by its
// short name as it appears at the end of an endpoint service name ("ec2", "ecr.api").
type Service struct {
	Name string
}

// The prefixes of endpoint service names for AWS services: the common one and the form some
// services use in the China partition.
const (
	servicePrefix      = "com.amazonaws."
	chinaServicePrefix = "cn.com.amazonaws."
	fipsSuffix         = "-fips"
)

var shortServiceName = regexp.MustCompile(`^[a-z0-9]+([.-][a-z0-9]+)*$`)

// FullName returns the endpoint service name of s in region, in its common form.
func (s Service) FullName(region string) string {
	return servicePrefix + region + "." + s.Name
}

// EndpointServiceNames returns every endpoint service name that provides s in region: the common
// and China forms, each also as its FIPS variant. They are exact names, fit for an API filter.
func (s Service) EndpointServiceNames(region string) []string {
	out := make([]string, 0, 4)
	for _, prefix := range []string{servicePrefix, chinaServicePrefix} {
		base := prefix + region + "." + s.Name
		out = append(out, base, base+fipsSuffix)
	}
	return out
}

// Matches reports whether serviceName is exactly an endpoint service name that provides s in
// region. Substrings, other services and other regions never match.
func (s Service) Matches(serviceName, region string) bool {
	for _, prefix := range []string{servicePrefix, chinaServicePrefix} {
		rest, ok := strings.CutPrefix(serviceName, prefix+region+".")
		if !ok {
			continue
		}
		if rest == s.Name || rest == s.Name+fipsSuffix {
			return true
		}
	}
	return false
}

// parseService reads one item of the serviceNames parameter: a short name ("ec2", "ecr.api") or
// a full name for region ("com.amazonaws.us-east-1.ec2", "cn.com.amazonaws.cn-north-1.ec2").
func parseService(item, region string) (Service, error) {
	name := strings.ToLower(item)
	for _, prefix := range []string{chinaServicePrefix, servicePrefix} {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		itemRegion, short, ok := strings.Cut(rest, ".")
		if !ok || itemRegion == "" || !shortServiceName.MatchString(short) {
			return Service{}, fmt.Errorf("%q is not a full service name of the form %s<region>.<service>", item, prefix)
		}
		if itemRegion != region {
			return Service{}, fmt.Errorf("%q names region %s, but the rule evaluates region %s; use the short name %q", item, itemRegion, region, short)
		}
		return Service{Name: short}, nil
	}
	if !shortServiceName.MatchString(name) {
		return Service{}, fmt.Errorf("%q is neither a short service name (ec2, ecr.api) nor a full one (com.amazonaws.%s.ec2)", item, region)
	}
	return Service{Name: name}, nil
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
