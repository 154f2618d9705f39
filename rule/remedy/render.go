package remedy

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// checksText names the checks p makes the VPC pass.
func checksText(p Plan) string {
	checks := []string{"private DNS", fmt.Sprintf("%d AZs", p.Checks.MinAvailabilityZones), "HTTPS from the VPC"}
	if p.Checks.MinAvailabilityZones == 1 {
		checks[1] = "1 AZ"
	}
	if p.Checks.ForbidFullAccessPolicy {
		checks = append(checks, "scoped policy")
	}
	return strings.Join(checks, ", ")
}

func subnetText(s Subnet) string {
	kind := "private"
	if s.Public {
		kind = "public: a default route to an internet gateway"
	}
	if s.AZ == "" {
		return s.ID
	}
	return fmt.Sprintf("%s (%s, %s)", s.ID, s.AZ, kind)
}

// WritePlan writes p for a person: what exists, what the fix creates or changes, and why.
func WritePlan(w io.Writer, p Plan, applied bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "VPC %s (%s, account %s)\n", p.VPCID, p.Region, p.AccountID)
	fmt.Fprintf(&b, "Checks: %s\n", checksText(p))
	if p.EnableDNSSupport {
		b.WriteString("\n+ turn on the VPC attribute enableDnsSupport (private DNS needs it)\n")
	}
	if p.EnableDNSHostnames {
		b.WriteString("\n+ turn on the VPC attribute enableDnsHostnames (private DNS needs it)\n")
	}
	if g := p.Group; g.Needed {
		switch {
		case g.ID == "":
			fmt.Fprintf(&b, "\n+ create security group %s: TCP 443 from %s\n", g.Name, strings.Join(g.CIDRs, ", "))
		case len(g.AddCIDRs) > 0:
			fmt.Fprintf(&b, "\n~ security group %s (%s): also allow TCP 443 from %s\n", g.ID, g.Name, strings.Join(g.AddCIDRs, ", "))
		default:
			fmt.Fprintf(&b, "\n= security group %s (%s) allows TCP 443 from %s\n", g.ID, g.Name, strings.Join(g.CIDRs, ", "))
		}
	}
	for _, ep := range p.Endpoints {
		b.WriteString("\n")
		switch ep.Action {
		case Keep:
			fmt.Fprintf(&b, "= %s: %s\n", ep.ServiceName, ep.Why)
			continue
		case Create:
			fmt.Fprintf(&b, "+ create Interface endpoint for %s\n    why: %s\n", ep.ServiceName, ep.Why)
		case Modify:
			fmt.Fprintf(&b, "~ modify %s (%s)\n    why: %s\n", ep.ID, ep.ServiceName, ep.Why)
		}
		for _, s := range ep.Subnets {
			mark := " "
			if slices.Contains(ep.AddSubnetIDs, s.ID) {
				mark = "+"
			}
			fmt.Fprintf(&b, "    %s subnet %s\n", mark, subnetText(s))
		}
		for _, g := range ep.GroupIDs {
			mark := " "
			if ep.AddGroup && g == cmp.Or(p.Group.ID, NewGroupID) {
				mark = "+"
				if g == NewGroupID {
					g = p.Group.Name + " (new)"
				}
			}
			fmt.Fprintf(&b, "    %s security group %s\n", mark, g)
		}
		if ep.EnablePrivateDNS {
			b.WriteString("    + private DNS on\n")
		}
		if ep.PolicyDocument != "" {
			b.WriteString("    + endpoint policy from the policy file\n")
		}
		if !ep.ChangesEndpoint() {
			b.WriteString("    (nothing on the endpoint itself: the security group's new rules fix it)\n")
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}
	switch {
	case !p.Changes():
		b.WriteString("\nNothing to change: the VPC passes every check.\n")
	case applied:
		b.WriteString("\nDone. New endpoints take a minute or two to become available.\n")
	default:
		b.WriteString("\nNothing was changed. Run again with --apply to make these changes, or take them as code with --output terraform or --output cloudformation.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// isGatewayKept reports whether ep is a Gateway endpoint the plan keeps: the code written as
// Terraform or CloudFormation describes Interface endpoints only.
func isGatewayKept(ep EndpointPlan) bool {
	return ep.Action == Keep && strings.EqualFold(ep.Type, "Gateway")
}

// hclString quotes s as an HCL string: JSON's escapes, and "${" and "%{" doubled so that they
// stay literal.
func hclString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return escapeTemplate(strings.TrimSuffix(buf.String(), "\n"))
}

func escapeTemplate(s string) string {
	return strings.NewReplacer("${", "$${", "%{", "%%{").Replace(s)
}

func hclList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = hclString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// resourceName returns the Terraform name of svc's endpoint: ec2, ecr_api.
func resourceName(short string) string {
	return strings.NewReplacer(".", "_", "-", "_").Replace(short)
}

// terraformGroup is the name of the security group resource.
const terraformGroup = "vpc_endpoint_https"

// Terraform writes p as Terraform (AWS provider): the security group and the endpoints in the
// shape of aws_security_group and aws_vpc_endpoint, with the IDs the plan chose. Endpoints and
// the group that exist already come with import blocks (Terraform 1.5 or later), so that applying
// the code takes them over instead of creating second ones.
func Terraform(w io.Writer, p Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# The fix for %s in %s (account %s): every endpoint passes %s.\n", p.VPCID, p.Region, p.AccountID, checksText(p))
	b.WriteString("# Written by `bootstrap remediate --output terraform`; resources that exist already are imported.\n")
	if p.EnableDNSSupport || p.EnableDNSHostnames {
		fmt.Fprintf(&b, "#\n# Private DNS needs the VPC's DNS attributes: set enable_dns_support = true and\n# enable_dns_hostnames = true on the aws_vpc resource that manages %s.\n", p.VPCID)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "#\n# Note: %s\n", n)
	}
	groupRef := func(id string) string {
		if id == cmp.Or(p.Group.ID, NewGroupID) && p.Group.Needed {
			return "aws_security_group." + terraformGroup + ".id"
		}
		return hclString(id)
	}
	if g := p.Group; g.Needed {
		if g.ID != "" {
			fmt.Fprintf(&b, "\nimport {\n  to = aws_security_group.%s\n  id = %s\n}\n", terraformGroup, hclString(g.ID))
		}
		fmt.Fprintf(&b, "\nresource \"aws_security_group\" %q {\n", terraformGroup)
		fmt.Fprintf(&b, "  name        = %s\n  description = %s\n  vpc_id      = %s\n", hclString(g.Name), hclString(g.Description), hclString(p.VPCID))
		fmt.Fprintf(&b, "\n  ingress {\n    description = \"HTTPS from the VPC\"\n    from_port   = 443\n    to_port     = 443\n    protocol    = \"tcp\"\n    cidr_blocks = %s\n  }\n", hclList(g.CIDRs))
		b.WriteString("\n  # As EC2 creates a group; an interface endpoint only answers, so none of it is needed.\n")
		b.WriteString("  egress {\n    from_port   = 0\n    to_port     = 0\n    protocol    = \"-1\"\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n")
		writeHCLTags(&b, map[string]string{"Name": g.Name, MarkerTagKey: MarkerTagValue})
		b.WriteString("}\n")
	}
	for _, ep := range p.Endpoints {
		if isGatewayKept(ep) {
			fmt.Fprintf(&b, "\n# %s\n# It is not written here: the fix adds nothing to a Gateway endpoint.\n", ep.Why)
			continue
		}
		name := resourceName(ep.Service.Name)
		if ep.ID != "" {
			fmt.Fprintf(&b, "\nimport {\n  to = aws_vpc_endpoint.%s\n  id = %s\n}\n", name, hclString(ep.ID))
		}
		fmt.Fprintf(&b, "\n# %s\n", strings.ReplaceAll(ep.Why, "\n", " "))
		fmt.Fprintf(&b, "resource \"aws_vpc_endpoint\" %q {\n", name)
		fmt.Fprintf(&b, "  vpc_id              = %s\n  service_name        = %s\n  vpc_endpoint_type   = \"Interface\"\n  private_dns_enabled = true\n", hclString(p.VPCID), hclString(ep.ServiceName))
		b.WriteString("\n  subnet_ids = [\n")
		for _, s := range ep.Subnets {
			fmt.Fprintf(&b, "    %s, # %s\n", hclString(s.ID), strings.TrimPrefix(subnetText(s), s.ID+" "))
		}
		b.WriteString("  ]\n")
		refs := make([]string, len(ep.GroupIDs))
		for i, id := range ep.GroupIDs {
			refs[i] = groupRef(id)
		}
		fmt.Fprintf(&b, "  security_group_ids = [%s]\n", strings.Join(refs, ", "))
		if ep.PolicyDocument != "" {
			doc, err := indentJSON(ep.PolicyDocument)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "\n  policy = <<-EOT\n%s\n  EOT\n", indentLines(escapeTemplate(doc), "    "))
		}
		if len(ep.Tags) > 0 {
			writeHCLTags(&b, ep.Tags)
		}
		b.WriteString("}\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHCLTags(b *strings.Builder, tags map[string]string) {
	b.WriteString("\n  tags = {\n")
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fmt.Fprintf(b, "    %s = %s\n", hclString(k), hclString(tags[k]))
	}
	b.WriteString("  }\n")
}

func indentJSON(doc string) (string, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(doc), "", "  "); err != nil {
		return "", fmt.Errorf("policy document: %w", err)
	}
	return buf.String(), nil
}

func indentLines(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

// logicalID returns the CloudFormation logical ID of svc's endpoint: Ec2Endpoint, EcrApiEndpoint.
func logicalID(short string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(short, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Endpoint"
}

// cloudFormationGroup is the logical ID of the security group.
const cloudFormationGroup = "EndpointSecurityGroup"

// yamlString quotes s as a YAML double-quoted scalar (JSON's string syntax is one).
func yamlString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

// CloudFormation writes p as a CloudFormation template of AWS::EC2::SecurityGroup and
// AWS::EC2::VPCEndpoint resources with the IDs the plan chose. Resources that exist already are
// marked DeletionPolicy Retain and named in the template's description for a resource import
// (a change set of type IMPORT), so that deploying the template takes them over.
func CloudFormation(w io.Writer, p Plan) error {
	var b strings.Builder
	var imports []string
	if p.Group.Needed && p.Group.ID != "" {
		imports = append(imports, cloudFormationGroup+"="+p.Group.ID)
	}
	for _, ep := range p.Endpoints {
		if ep.ID != "" {
			imports = append(imports, logicalID(ep.Service.Name)+"="+ep.ID)
		}
	}
	b.WriteString("AWSTemplateFormatVersion: \"2010-09-09\"\n")
	desc := fmt.Sprintf("The fix for %s in %s (account %s): every endpoint passes %s.", p.VPCID, p.Region, p.AccountID, checksText(p))
	if len(imports) > 0 {
		desc += " Import the existing resources (" + strings.Join(imports, ", ") + ") with a change set of type IMPORT."
	}
	fmt.Fprintf(&b, "Description: %s\n", yamlString(truncateDescription(desc)))
	b.WriteString("# Written by `bootstrap remediate --output cloudformation`.\n")
	if p.EnableDNSSupport || p.EnableDNSHostnames {
		fmt.Fprintf(&b, "# Private DNS needs the VPC's DNS attributes: set EnableDnsSupport and EnableDnsHostnames\n# to true on the AWS::EC2::VPC resource (or with modify-vpc-attribute) for %s first.\n", p.VPCID)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "# Note: %s\n", n)
	}
	b.WriteString("Resources:\n")
	retain := "    DeletionPolicy: Retain\n    UpdateReplacePolicy: Retain\n"
	if g := p.Group; g.Needed {
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::EC2::SecurityGroup\n", cloudFormationGroup)
		if g.ID != "" {
			b.WriteString(retain)
		}
		fmt.Fprintf(&b, "    Properties:\n      GroupName: %s\n      GroupDescription: %s\n      VpcId: %s\n      SecurityGroupIngress:\n",
			yamlString(g.Name), yamlString(g.Description), yamlString(p.VPCID))
		for _, c := range g.CIDRs {
			fmt.Fprintf(&b, "        - IpProtocol: tcp\n          FromPort: 443\n          ToPort: 443\n          CidrIp: %s\n          Description: HTTPS from the VPC\n", yamlString(c))
		}
		writeYAMLTags(&b, map[string]string{"Name": g.Name, MarkerTagKey: MarkerTagValue})
	}
	for _, ep := range p.Endpoints {
		if isGatewayKept(ep) {
			fmt.Fprintf(&b, "  # %s It is not written here: the fix adds nothing to a Gateway endpoint.\n", ep.Why)
			continue
		}
		fmt.Fprintf(&b, "  %s:\n    Type: AWS::EC2::VPCEndpoint\n", logicalID(ep.Service.Name))
		if ep.ID != "" {
			b.WriteString(retain)
		}
		fmt.Fprintf(&b, "    Properties:\n      VpcId: %s\n      ServiceName: %s\n      VpcEndpointType: Interface\n      PrivateDnsEnabled: true\n      SubnetIds:\n",
			yamlString(p.VPCID), yamlString(ep.ServiceName))
		for _, s := range ep.Subnets {
			fmt.Fprintf(&b, "        - %s # %s\n", yamlString(s.ID), strings.TrimPrefix(subnetText(s), s.ID+" "))
		}
		b.WriteString("      SecurityGroupIds:\n")
		for _, id := range ep.GroupIDs {
			if p.Group.Needed && id == cmp.Or(p.Group.ID, NewGroupID) {
				fmt.Fprintf(&b, "        - !GetAtt %s.GroupId\n", cloudFormationGroup)
			} else {
				fmt.Fprintf(&b, "        - %s\n", yamlString(id))
			}
		}
		if ep.PolicyDocument != "" {
			var buf bytes.Buffer
			if err := json.Compact(&buf, []byte(ep.PolicyDocument)); err != nil {
				return fmt.Errorf("policy document: %w", err)
			}
			// JSON is YAML's flow style: the document goes in as an object.
			fmt.Fprintf(&b, "      PolicyDocument: %s\n", buf.String())
		}
		if len(ep.Tags) > 0 {
			writeYAMLTags(&b, ep.Tags)
		}
	}
	b.WriteString("Outputs:\n")
	for _, ep := range p.Endpoints {
		if isGatewayKept(ep) {
			continue
		}
		id := logicalID(ep.Service.Name)
		fmt.Fprintf(&b, "  %sId:\n    Description: %s\n    Value: !Ref %s\n", id, yamlString("Interface endpoint for "+ep.ServiceName), id)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// truncateDescription keeps a template description within CloudFormation's 1024 bytes.
func truncateDescription(s string) string {
	const limit = 1024
	if len(s) <= limit {
		return s
	}
	r := []rune(s)
	for len(string(r)) > limit-3 {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}

func writeYAMLTags(b *strings.Builder, tags map[string]string) {
	b.WriteString("      Tags:\n")
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fmt.Fprintf(b, "        - Key: %s\n          Value: %s\n", yamlString(k), yamlString(tags[k]))
	}
}
