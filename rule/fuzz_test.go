package rule_test

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// validVPCID is the form of a VPC ID, written out again so the fuzzer checks ParseParams against
// the definition rather than against itself.
var validVPCID = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)

func FuzzParseParams(f *testing.F) {
	for _, seed := range []struct{ raw, region string }{
		{"", "us-east-1"},
		{"{}", "us-east-1"},
		{"null", "us-east-1"},
		{`{"serviceNames": "ec2, ecr.api"}`, "us-east-1"},
		{`{"serviceNames": "cn.com.amazonaws.cn-north-1.ec2"}`, "cn-north-1"},
		{`{"serviceNames": "com.amazonaws.us-west-2.ec2"}`, "us-east-1"},
		{`{"serviceName": "", "serviceNames": "ssm"}`, "us-east-1"},
		{`{"serviceName": "ec2", "serviceNames": "ec2"}`, "us-east-1"},
		{`{"serviceNames": ""}`, "us-east-1"},
		{`{"serviceNames": "ec2,,ssm"}`, "us-east-1"},
		{`{"vpcIds": "vpc-0a1b2c3d4e5f60718, vpc-1a2b3c4d"}`, "us-east-1"},
		{`{"vpcIds": "vpc-XYZ"}`, "us-east-1"},
		{`{"exemptTag": "Compliance=exempt"}`, "us-east-1"},
		{`{"exemptTag": "=x"}`, "us-east-1"},
		{`{"requirePrivateDns": true, "minAvailabilityZones": 2, "requireHttpsFromVpc": "TRUE", "forbidFullAccessPolicy": "false"}`, "eu-west-1"},
		{`{"minAvailabilityZones": 1.5}`, "us-east-1"},
		{`{"minAvailabilityZones": "-1"}`, "us-east-1"},
		{`{"executionRoleName": "member-role"}`, "us-east-1"},
		{`{"allowCentralEndpoints": "true", "trustedDnsAccounts": "444455556666, 111122223333", "ignoreUnusedVpcs": true}`, "us-east-1"},
		{`{"trustedDnsAccounts": "4444-5555-6666"}`, "us-east-1"},
		{`{"unknown": "x"}`, "us-east-1"},
		{`{"serviceNames": ["ec2"]}`, "us-east-1"},
		{`["ec2"]`, "us-east-1"},
		{`{"serviceNames": "\u00e9c2"}`, "us-east-1"},
		{"{\"exemptTag\": \"\xff\"}", "us-east-1"},
		{`serviceNames=ec2`, ""},
	} {
		f.Add(seed.raw, seed.region)
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		p, err := rule.ParseParams(raw, region)
		again, errAgain := rule.ParseParams(raw, region)
		if !reflect.DeepEqual(p, again) || (err == nil) != (errAgain == nil) || (err != nil && err.Error() != errAgain.Error()) {
			t.Fatalf("ParseParams(%q) is not deterministic: %+v, %v then %+v, %v", raw, p, err, again, errAgain)
		}
		if err != nil {
			if !errors.Is(err, rule.ErrInvalidParams) {
				t.Fatalf("ParseParams(%q) error %q does not wrap ErrInvalidParams", raw, err)
			}
			if !reflect.DeepEqual(p, rule.Params{}) {
				t.Fatalf("ParseParams(%q) failed but returned %+v", raw, p)
			}
			return
		}
		if len(p.Services) == 0 {
			t.Fatalf("ParseParams(%q) returned no service", raw)
		}
		for _, s := range p.Services {
			if s.Name == "" || s.Name != strings.ToLower(s.Name) || strings.ContainsAny(s.Name, " ,") {
				t.Fatalf("ParseParams(%q) returned service %q", raw, s.Name)
			}
			if !s.Matches(s.FullName(region), region) {
				t.Fatalf("ParseParams(%q): service %q does not match its own full name %q", raw, s.Name, s.FullName(region))
			}
		}
		if p.MinAvailabilityZones < 1 || p.MinAvailabilityZones > 32 {
			t.Fatalf("ParseParams(%q) returned MinAvailabilityZones %d", raw, p.MinAvailabilityZones)
		}
		for _, id := range p.VPCIDs {
			if !validVPCID.MatchString(id) {
				t.Fatalf("ParseParams(%q) returned VPC ID %q", raw, id)
			}
		}
		if p.ExemptTag != nil && p.ExemptTag.Key == "" {
			t.Fatalf("ParseParams(%q) returned an exempt tag without key", raw)
		}
	})
}

func FuzzTruncate(f *testing.F) {
	for _, seed := range []string{
		"",
		"short",
		strings.Repeat("a", awsMaxAnnotationLength),
		strings.Repeat("a", awsMaxAnnotationLength+1),
		strings.Repeat("word ", 100),
		strings.Repeat("é", 300),
		strings.Repeat("🙂 ", 200),
		strings.Repeat(" ", 300),
		strings.Repeat("x;, ", 80),
		"bad \xff\xfe utf-8 " + strings.Repeat("z", 300),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := rule.Truncate(s)
		if n := utf8.RuneCountInString(got); n > awsMaxAnnotationLength {
			t.Fatalf("Truncate returned %d characters", n)
		}
		if utf8.RuneCountInString(s) <= awsMaxAnnotationLength {
			if got != s {
				t.Fatalf("Truncate changed a string that fits: %q → %q", s, got)
			}
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Truncate cut %q into invalid UTF-8 %q", s, got)
		}
		kept, ok := strings.CutSuffix(got, "…")
		if !ok {
			t.Fatalf("cut %q does not end with an ellipsis", got)
		}
		// A cut keeps a prefix of the text, read as characters (invalid bytes read as U+FFFD).
		if !strings.HasPrefix(string([]rune(s)), kept) {
			t.Fatalf("cut %q is not a prefix of %q", got, s)
		}
	})
}

// FuzzEvaluateAnnotation checks that whatever the inventory says, Evaluate returns a verdict
// PutEvaluations accepts: a known compliance type and an annotation that Truncate makes 1 to 256
// characters.
func FuzzEvaluateAnnotation(f *testing.F) {
	f.Add("vpce-0ec2", "com.amazonaws.us-east-1.ec2", "Interface", "available", uint8(1), `{}`)
	f.Add("vpce-0ec2", "com.amazonaws.us-east-1.ec2", "Gateway", "pending", uint8(50), `{"serviceNames": "ec2, ssm"}`)
	f.Add(strings.Repeat("ü", 300), "com.amazonaws.us-east-1.ec2-fips", "", "", uint8(3), `{"requirePrivateDns": "true", "minAvailabilityZones": "3"}`)
	f.Add("vpce-1", "com.amazonaws.us-east-1.ec2", "Interface", "Available", uint8(2), `{"exemptTag": "k"}`)
	f.Fuzz(func(t *testing.T, id, serviceName, typ, state string, count uint8, rawParams string) {
		p, err := rule.ParseParams(rawParams, testRegion)
		if err != nil {
			return
		}
		endpoints := make([]rule.Endpoint, count)
		for i := range endpoints {
			endpoints[i] = rule.Endpoint{ID: id, VPCID: testVPCID, ServiceName: serviceName, Type: typ, State: state}
		}
		vpc := testVPC()
		vpc.Tags = map[string]string{"k": state}
		res := rule.Evaluate(vpc, endpoints, rule.Inventory{}, p, testScope)

		switch res.Compliance {
		case rule.Compliant, rule.NonCompliant, rule.NotApplicable:
		default:
			t.Fatalf("compliance %q", res.Compliance)
		}
		if res.ResourceType != rule.ResourceTypeVPC || res.ResourceID != testVPCID {
			t.Fatalf("result for %s %s", res.ResourceType, res.ResourceID)
		}
		n := utf8.RuneCountInString(rule.Truncate(res.Annotation))
		if n == 0 || n > awsMaxAnnotationLength {
			t.Fatalf("annotation of %d characters: %q", n, res.Annotation)
		}
		// Checked one by one: two invalid strings can join into a valid one ("\xd2" + "\x91").
		valid := utf8.ValidString(id) && utf8.ValidString(serviceName) && utf8.ValidString(typ) && utf8.ValidString(state)
		if valid && !utf8.ValidString(res.Annotation) {
			t.Fatalf("annotation is not valid UTF-8: %q", res.Annotation)
		}
	})
}

func FuzzIsFullAccessPolicy(f *testing.F) {
	for _, doc := range []string{
		"",
		"{",
		"null",
		`{"Statement": null}`,
		`{"Statement": []}`,
		defaultPolicy,
		scopedPolicy,
		`{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["ec2:*"], "Resource": ["*"]}}`,
		`{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": { }}]}`,
		`{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}`,
		`{"Statement": [{"Effect": 1, "Principal": {"AWS": 2}, "Action": [3], "Resource": {}}]}`,
	} {
		f.Add(doc, "ec2")
	}
	f.Add(defaultPolicy, "ecr.api")
	f.Add(defaultPolicy, "")
	f.Fuzz(func(t *testing.T, doc, service string) {
		svc := rule.Service{Name: service}
		if got, again := rule.IsFullAccessPolicy(doc, svc, "us-east-1"), rule.IsFullAccessPolicy(doc, svc, "us-east-1"); got != again {
			t.Fatalf("IsFullAccessPolicy(%q) is not deterministic", doc)
		}
		if strings.TrimSpace(doc) == "" && !rule.IsFullAccessPolicy(doc, svc, "us-east-1") {
			t.Fatalf("an empty document is AWS's full-access default")
		}
	})
}
