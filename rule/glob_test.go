package rule

import "testing"

// globMatch is unexported; its cases are those IAM patterns meet.
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
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
