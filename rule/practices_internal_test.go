package rule

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strings"
	"testing"
)

// Unexported helpers of the practice checks.

// globMatch: the cases IAM patterns meet.
func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "ec2:DescribeVpcs", true},
		{"ec2:*", "ec2:DescribeVpcs", true},
		{"ec2:*", "ec2messages:GetMessages", false},
		{"ec2:Describe*", "ec2:DescribeVpcs", true},
		{"ec2:Describe*", "ec2:CreateVpc", false},
		{"ec2:?*", "ec2:a", true},
		{"ec2:?*", "ec2:", false},
		{"e*:*", "ec2:a", true},
		{"*:*", "ec2", false},
		{"arn:aws:ec2:*", "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1", true},
		{"arn:aws:ec2:*:*:*", "arn:aws:ec2:us-east-1::image/ami-1", true},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbYd", false},
		{"*a*a*a", "aaaa", true},
		{"", "", true},
		{"", "x", false},
		// A star in the subject is a character like any other.
		{"*", "**", true},
		{"*?", "*", true},
		{"*a", "*ba", true},
		{"?", "*", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// coveredBy agrees with counting addresses one by one, over random sets of prefixes in and
// around a /24.
func TestCoveredByAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	block := netip.MustParsePrefix("10.1.2.0/24")
	randomPrefix := func() netip.Prefix {
		bits := 22 + rng.IntN(11) // /22 to /32
		addr := netip.AddrFrom4([4]byte{10, 1, byte(1 + rng.IntN(3)), byte(rng.IntN(256))})
		return netip.PrefixFrom(addr, bits).Masked()
	}
	for range 2000 {
		allowed := make([]netip.Prefix, rng.IntN(8))
		for i := range allowed {
			allowed[i] = randomPrefix()
		}
		want := true
		for a := block.Addr(); block.Contains(a); a = a.Next() {
			in := false
			for _, p := range allowed {
				if p.Contains(a) {
					in = true
					break
				}
			}
			if !in {
				want = false
				break
			}
		}
		if got := coveredBy(block, allowed); got != want {
			t.Fatalf("coveredBy(%s, %v) = %v, want %v", block, allowed, got, want)
		}
	}
}

func TestLastAddr(t *testing.T) {
	for p, want := range map[string]string{
		"10.0.0.0/16":     "10.0.255.255",
		"10.0.0.128/25":   "10.0.0.255",
		"10.0.0.7/32":     "10.0.0.7",
		"0.0.0.0/0":       "255.255.255.255",
		"2001:db8::/32":   "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
		"2001:db8::1/128": "2001:db8::1",
	} {
		if got := lastAddr(netip.MustParsePrefix(p)); got.String() != want {
			t.Errorf("lastAddr(%s) = %s, want %s", p, got, want)
		}
	}
}

// globMatch agrees with the same pattern compiled as a regular expression, over random patterns
// and subjects from a small alphabet that holds the wildcards too.
func TestGlobMatchAgreesWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ab:*?"
	random := func(n int) string {
		b := make([]byte, rng.IntN(n+1))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 20000 {
		pattern, s := random(6), random(8)
		var re strings.Builder
		re.WriteString("^")
		for _, c := range pattern {
			switch c {
			case '*':
				re.WriteString("(?s:.*)")
			case '?':
				re.WriteString("(?s:.)")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		if got, want := globMatch(pattern, s), regexp.MustCompile(re.String()).MatchString(s); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, want %v", pattern, s, got, want)
		}
	}
}
