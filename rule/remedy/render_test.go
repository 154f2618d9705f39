package remedy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/rule"
)

// tPlans are plans of the shapes the renderers must write: all new; an endpoint and the group
// taken over; a policy with IAM policy variables, which HCL must not read as its own templates.
func tPlans(t *testing.T) map[string]Plan {
	t.Helper()
	policy := `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:Describe*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:username}"}}}]}`
	out := map[string]Plan{}
	decide := func(name string, f Facts, o Options) {
		p, err := Decide(f, o)
		require.NoError(t, err, name)
		out[name] = p
	}
	decide("new", tFacts(), Options{})
	decide("new with policy", tFacts(), Options{PolicyDocument: policy})

	f := tFacts()
	f.VPC.CIDRBlocks = []string{tPrimary, tSecond}
	f.Groups = append(f.Groups, Group{SecurityGroup: rule.SecurityGroup{ID: "sg-0a0a0a0a0a0a0a0a0", Ingress: []rule.IngressRule{{Protocol: "tcp", FromPort: 443, ToPort: 443, CIDRs: []string{tPrimary}}}}, Name: GroupName})
	f.Endpoints = []rule.Endpoint{tEndpoint([]string{"subnet-2000000000000000c"}, []string{tDefaultGroup}, false)}
	f.DNSHostnames = false
	decide("taken over", f, Options{EnableVPCDNS: true})

	f = tFacts()
	f.Offers["com.amazonaws.us-east-1.s3"] = Offer{}
	f.Endpoints = []rule.Endpoint{{ID: "vpce-0c0c0c0c0c0c0c0c0", VPCID: tVPC, ServiceName: "com.amazonaws.us-east-1.s3", Type: "Gateway", State: "available"}}
	decide("a Gateway endpoint kept", f, Options{Services: []rule.Service{{Name: "ec2"}, {Name: "s3"}}})

	f = tFacts()
	f.Offers["com.amazonaws.us-east-1.ecr.api"] = Offer{}
	decide("two services", f, Options{Services: []rule.Service{{Name: "ec2"}, {Name: "ecr.api"}}})
	return out
}

// Terraform output is checked with HCL's own parser (hashicorp/hcl/v2, the library Terraform
// reads configurations with): the code must parse, and hold the resources and IDs the plan chose.
func TestTerraform(t *testing.T) {
	for name, p := range tPlans(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Terraform(&buf, p))
			file, diags := hclparse.NewParser().ParseHCL(buf.Bytes(), "fix.tf")
			require.False(t, diags.HasErrors(), "%s\n%s", diags.Error(), buf.String())
			content, diags := file.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
				{Type: "resource", LabelNames: []string{"type", "name"}},
				{Type: "import"},
			}})
			require.False(t, diags.HasErrors(), diags.Error())

			var resources []string
			imports := map[string]string{}
			for _, b := range content.Blocks {
				attrs, diags := b.Body.JustAttributes()
				if b.Type == "import" {
					require.False(t, diags.HasErrors(), diags.Error())
					to := string(hclTraversal(t, attrs["to"]))
					imports[to] = hclValue(t, attrs["id"])
					continue
				}
				resources = append(resources, b.Labels[0]+"."+b.Labels[1])
				if b.Labels[0] != "aws_vpc_endpoint" {
					continue
				}
				require.False(t, diags.HasErrors(), diags.Error())
				assert.Equal(t, p.VPCID, hclValue(t, attrs["vpc_id"]))
				assert.Equal(t, "Interface", hclValue(t, attrs["vpc_endpoint_type"]))
				ep := endpointNamed(t, p, b.Labels[1])
				assert.Equal(t, ep.ServiceName, hclValue(t, attrs["service_name"]))
				v, diags := attrs["subnet_ids"].Expr.Value(nil)
				require.False(t, diags.HasErrors(), diags.Error())
				var subnets []string
				for _, s := range v.AsValueSlice() {
					subnets = append(subnets, s.AsString())
				}
				assert.Equal(t, ep.SubnetIDs, subnets)
				if ep.PolicyDocument != "" {
					doc := hclValue(t, attrs["policy"])
					assert.JSONEq(t, ep.PolicyDocument, doc, "the policy reads back as it was, ${aws:username} included")
				}
			}
			want := []string{}
			if p.Group.Needed {
				want = append(want, "aws_security_group."+terraformGroup)
			}
			for _, ep := range p.Endpoints {
				if isGatewayKept(ep) {
					continue
				}
				want = append(want, "aws_vpc_endpoint."+resourceName(ep.Service.Name))
				if ep.ID != "" {
					assert.Equal(t, ep.ID, imports["aws_vpc_endpoint."+resourceName(ep.Service.Name)])
				}
			}
			assert.Equal(t, want, resources)
			if p.Group.ID != "" {
				assert.Equal(t, p.Group.ID, imports["aws_security_group."+terraformGroup])
			}
		})
	}
}

func endpointNamed(t *testing.T, p Plan, name string) EndpointPlan {
	for _, ep := range p.Endpoints {
		if resourceName(ep.Service.Name) == name {
			return ep
		}
	}
	t.Fatalf("no endpoint for resource %s", name)
	return EndpointPlan{}
}

// hclValue evaluates a literal attribute (no variables) to its string.
func hclValue(t *testing.T, a *hcl.Attribute) string {
	t.Helper()
	require.NotNil(t, a)
	v, diags := a.Expr.Value(nil)
	require.False(t, diags.HasErrors(), diags.Error())
	return v.AsString()
}

// hclTraversal returns a reference attribute (to = aws_vpc_endpoint.ec2) as written.
func hclTraversal(t *testing.T, a *hcl.Attribute) []byte {
	t.Helper()
	require.NotNil(t, a)
	tr, diags := hcl.AbsTraversalForExpr(a.Expr)
	require.False(t, diags.HasErrors(), diags.Error())
	var parts []string
	for _, step := range tr {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		}
	}
	return []byte(strings.Join(parts, "."))
}

// CloudFormation output passes cfn-lint, the linter the project's own templates are held to.
func TestCloudFormation(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("cfn-lint not on PATH")
		}
		t.Skip("cfn-lint not on PATH (pip install cfn-lint)")
	}
	dir := t.TempDir()
	var paths []string
	// One cfn-lint run for every template: it takes seconds to start.
	defer func() {
		out, err := exec.CommandContext(t.Context(), lint, append(paths, "--regions", tRegion)...).CombinedOutput()
		assert.NoError(t, err, "cfn-lint:\n%s", out)
	}()
	for name, p := range tPlans(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, CloudFormation(&buf, p))
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
			paths = append(paths, path)

			var tpl struct {
				Resources map[string]struct {
					Type           string         `yaml:"Type"`
					DeletionPolicy string         `yaml:"DeletionPolicy"`
					Properties     map[string]any `yaml:"Properties"`
				} `yaml:"Resources"`
			}
			require.NoError(t, yaml.Unmarshal(buf.Bytes(), &tpl))
			for _, ep := range p.Endpoints {
				if isGatewayKept(ep) {
					assert.NotContains(t, tpl.Resources, logicalID(ep.Service.Name), "a Gateway endpoint is not written as an Interface one")
					continue
				}
				r, ok := tpl.Resources[logicalID(ep.Service.Name)]
				require.True(t, ok, logicalID(ep.Service.Name))
				assert.Equal(t, "AWS::EC2::VPCEndpoint", r.Type)
				assert.Equal(t, ep.ServiceName, r.Properties["ServiceName"])
				assert.Equal(t, true, r.Properties["PrivateDnsEnabled"])
				var subnets []string
				for _, s := range r.Properties["SubnetIds"].([]any) {
					subnets = append(subnets, s.(string))
				}
				assert.Equal(t, ep.SubnetIDs, subnets)
				if ep.ID != "" {
					assert.Equal(t, "Retain", r.DeletionPolicy, "an imported resource must be retained")
				}
			}
			if p.Group.Needed {
				g := tpl.Resources[cloudFormationGroup]
				assert.Equal(t, "AWS::EC2::SecurityGroup", g.Type)
				assert.Len(t, g.Properties["SecurityGroupIngress"], len(p.Group.CIDRs))
			}
		})
	}
}

func TestWritePlan(t *testing.T) {
	p := tPlans(t)["taken over"]
	var buf bytes.Buffer
	require.NoError(t, WritePlan(&buf, p, false))
	got := buf.String()
	for _, want := range []string{
		"VPC " + tVPC + " (us-east-1, account " + tAccount + ")",
		"Checks: private DNS, 2 AZs, HTTPS from the VPC",
		"+ turn on the VPC attribute enableDnsHostnames",
		"~ security group sg-0a0a0a0a0a0a0a0a0 (" + GroupName + "): also allow TCP 443 from " + tSecond,
		"~ modify vpce-0e0e0e0e0e0e0e0e0 (" + tEC2 + ")",
		"  subnet subnet-2000000000000000c (us-east-1c, public: a default route to an internet gateway)",
		"+ subnet subnet-1000000000000000a (us-east-1a, private)",
		"+ security group sg-0a0a0a0a0a0a0a0a0",
		"+ private DNS on",
		"Nothing was changed. Run again with --apply",
	} {
		assert.Contains(t, got, want)
	}
}
