package rule_test

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

func ExampleEvaluate() {
	scope := rule.Scope{Region: "us-east-1", AccountID: "111122223333"}
	params, err := rule.ParseParams(`{"serviceNames": "ec2"}`, scope.Region)
	if err != nil {
		panic(err)
	}
	vpc := rule.VPC{ID: "vpc-0a1b2c3d4e5f60718", OwnerID: "111122223333"}
	endpoints := []rule.Endpoint{
		// ec2messages is another service: a substring match would wrongly count it.
		{ID: "vpce-0msgs", VPCID: vpc.ID, ServiceName: "com.amazonaws.us-east-1.ec2messages", Type: "Interface", State: "available"},
		{ID: "vpce-0ec2", VPCID: vpc.ID, ServiceName: "com.amazonaws.us-east-1.ec2", Type: "Interface", State: "pending"},
	}

	res := rule.Evaluate(vpc, endpoints, rule.Inventory{}, params, scope)
	fmt.Println(res.Compliance)
	fmt.Println(res.Annotation)

	// Once the endpoint is available (the EC2 API spells it "available", the SDK's constant
	// "Available"; either counts), the VPC complies.
	endpoints[1].State = "Available"
	res = rule.Evaluate(vpc, endpoints, rule.Inventory{}, params, scope)
	fmt.Println(res.Compliance)
	fmt.Println(res.Annotation)
	// Output:
	// NON_COMPLIANT
	// No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-0ec2 is pending.
	// COMPLIANT
	// vpce-0ec2 (com.amazonaws.us-east-1.ec2) is an available Interface endpoint.
}

func ExampleEvaluate_practices() {
	scope := rule.Scope{Region: "us-east-1", AccountID: "111122223333"}
	params, err := rule.ParseParams(`{"requirePrivateDns": "true", "minAvailabilityZones": "2"}`, scope.Region)
	if err != nil {
		panic(err)
	}
	vpc := rule.VPC{ID: "vpc-0a1b2c3d4e5f60718", OwnerID: "111122223333"}
	endpoint := rule.Endpoint{
		ID: "vpce-0ec2", VPCID: vpc.ID, ServiceName: "com.amazonaws.us-east-1.ec2",
		Type: "Interface", State: "available", PrivateDNSEnabled: false,
		SubnetIDs: []string{"subnet-a", "subnet-b"},
	}
	inv := rule.Inventory{SubnetAZs: map[string]string{"subnet-a": "use1-az1", "subnet-b": "use1-az1"}}

	res := rule.Evaluate(vpc, []rule.Endpoint{endpoint}, inv, params, scope)
	fmt.Println(res.Compliance)
	fmt.Println(res.Annotation)
	// Output:
	// NON_COMPLIANT
	// No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: vpce-0ec2 has private DNS disabled, spans 1 AZ (needs 2).
}

func ExampleEvaluate_sharedVPC() {
	scope := rule.Scope{Region: "us-east-1", AccountID: "111122223333"}
	vpc := rule.VPC{ID: "vpc-0a1b2c3d4e5f60718", OwnerID: "444455556666"}

	res := rule.Evaluate(vpc, nil, rule.Inventory{}, rule.Params{}, scope)
	fmt.Println(res.Compliance)
	fmt.Println(res.Annotation)
	// Output:
	// NOT_APPLICABLE
	// Shared VPC owned by account 444455556666; it is evaluated in its owner's account.
}

func ExampleParseParams() {
	p, err := rule.ParseParams(`{"serviceNames": "ec2, com.amazonaws.us-east-1.ecr.api", "exemptTag": "ec2-10=exempt", "minAvailabilityZones": "2"}`, "us-east-1")
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Services, p.ExemptTag, p.MinAvailabilityZones)

	_, err = rule.ParseParams(`{"serviceNames": "com.amazonaws.us-west-2.ec2"}`, "us-east-1")
	fmt.Println(errors.Is(err, rule.ErrInvalidParams))
	fmt.Println(err)
	// Output:
	// [{ec2} {ecr.api}] ec2-10=exempt 2
	// true
	// invalid rule parameters: serviceNames "com.amazonaws.us-west-2.ec2" names region us-west-2, but the rule evaluates region us-east-1; use the short name "ec2"
}

func ExampleTruncate() {
	long := "No qualifying Interface endpoint for com.amazonaws.us-east-1.ec2: " +
		strings.Repeat("vpce-0123456789abcdef0 is pending; ", 10)

	short := rule.Truncate(long)
	fmt.Println(utf8.RuneCountInString(long), "→", utf8.RuneCountInString(short))
	fmt.Println(short[len(short)-40:]) // the cut falls between words
	fmt.Println(rule.Truncate("fits as it is"))
	// Output:
	// 416 → 240
	// ng; vpce-0123456789abcdef0 is pending…
	// fits as it is
}

func ExampleService_Matches() {
	ec2 := rule.Service{Name: "ec2"}
	for _, name := range []string{
		"com.amazonaws.us-east-1.ec2",
		"com.amazonaws.us-east-1.ec2-fips",
		"com.amazonaws.us-east-1.ec2messages",
		"com.amazonaws.us-west-2.ec2",
	} {
		fmt.Println(name, ec2.Matches(name, "us-east-1"))
	}
	fmt.Println(ec2.Matches("cn.com.amazonaws.cn-north-1.ec2", "cn-north-1"))
	// Output:
	// com.amazonaws.us-east-1.ec2 true
	// com.amazonaws.us-east-1.ec2-fips true
	// com.amazonaws.us-east-1.ec2messages false
	// com.amazonaws.us-west-2.ec2 false
	// true
}
