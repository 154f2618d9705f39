// Command demo shows the rule at work without an AWS account: it seeds a small estate of VPCs
// in moto, runs the real Lambda function under the Lambda Runtime Interface Emulator, sends it
// the events AWS Config would, and prints what the function reported and the API calls it made.
// Every process it starts is stopped before it exits, on error and on interrupt too.
//
// Run it with `make demo`, which first provisions moto and the emulator (`make tools`).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
)

const (
	region   = "us-east-1"
	account  = "123456789012" // moto's account, which owns what it creates
	ruleName = "ec2-vpc-endpoint-rule"
	ec2Name  = "com.amazonaws." + region + ".ec2"
	msgName  = "com.amazonaws." + region + ".ec2messages"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout)
	// Read before stop, which cancels ctx too: only a signal makes the failure an interruption.
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", failure(err, interrupted))
		os.Exit(1)
	}
}

// failure says why the demo stopped: the error itself (a missing tool names itself and
// `make tools`), unless a signal interrupted it.
func failure(err error, interrupted bool) string {
	if interrupted {
		return "interrupted"
	}
	return err.Error()
}

// run does the demo and stops everything it started before it returns.
func run(ctx context.Context, w io.Writer) error {
	start := time.Now()
	fmt.Fprintln(w, "EC2.10 demo: the rule's Lambda function under the Lambda Runtime Interface Emulator,")
	fmt.Fprintln(w, "with EC2 served by moto and AWS Config by a local recording fake. Nothing reaches AWS.")
	fmt.Fprintln(w)

	moto, err := localaws.StartMoto(ctx)
	if err != nil {
		return err
	}
	defer moto.Stop()
	config := localaws.StartConfigService(ruleName)
	defer config.Stop()

	dir, err := os.MkdirTemp("", "ec2-vpc-endpoint-rule-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bootstrap, err := localaws.BuildBootstrap(ctx, dir)
	if err != nil {
		return err
	}

	cfg, err := localaws.AWSConfig(ctx, region)
	if err != nil {
		return err
	}
	seedAPI := localaws.EC2Client(cfg, moto.ServerURL)
	estate, err := seed(ctx, seedAPI)
	if err != nil {
		return err
	}
	names := make(map[string]string)
	fmt.Fprintf(w, "Estate in %s, account %s:\n", region, account)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range estate {
		names[v.vpc.ID] = v.vpc.Name
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.vpc.ID, v.vpc.Name, v.about)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	rt, err := localaws.StartRuntime(ctx, localaws.RuntimeOptions{
		Bootstrap: bootstrap, Region: region, EC2URL: moto.URL, ConfigURL: config.URL,
	})
	if err != nil {
		return err
	}
	defer rt.Stop()

	scheduled := event(map[string]any{
		"awsAccountId":             account,
		"notificationCreationTime": localaws.Timestamp(time.Now()),
		"messageType":              "ScheduledNotification",
		"recordVersion":            "1.0",
	})
	fmt.Fprintln(w)
	fmt.Fprintln(w, "1. Periodic evaluation: Config sends a ScheduledNotification; the function sweeps the region.")
	if err := invoke(ctx, w, rt, moto, config, scheduled, names); err != nil {
		return err
	}

	// Someone fixes the VPC without an endpoint; Config records the new endpoint and sends the
	// change, and the function re-evaluates that VPC alone.
	fixed := estate[1]
	ep, err := localaws.AddEndpoint(ctx, seedAPI, fixed.vpc, localaws.EndpointSpec{Service: ec2Name, PrivateDNS: true})
	if err != nil {
		return err
	}
	endpointID := ep.ID
	names[endpointID] = "new EC2 endpoint"
	now := time.Now()
	change := event(map[string]any{
		"configurationItemDiff": nil,
		"configurationItem": map[string]any{
			"configurationItemCaptureTime": localaws.Timestamp(now),
			"configurationItemStatus":      "ResourceDiscovered",
			"configurationItemVersion":     "1.3",
			"configurationStateId":         now.UnixMilli(),
			"awsAccountId":                 account,
			"awsRegion":                    region,
			"resourceType":                 "AWS::EC2::VPCEndpoint",
			"resourceId":                   endpointID,
			"ARN":                          "arn:aws:ec2:" + region + ":" + account + ":vpc-endpoint/" + endpointID,
			"tags":                         map[string]string{},
			"relationships":                []any{},
			"configuration": map[string]any{
				"vpcEndpointId":     endpointID,
				"vpcEndpointType":   "Interface",
				"vpcId":             fixed.vpc.ID,
				"subnetIds":         fixed.vpc.SubnetIDs,
				"serviceName":       ec2Name,
				"state":             "available",
				"privateDnsEnabled": true,
			},
		},
		"notificationCreationTime": localaws.Timestamp(now),
		"messageType":              "ConfigurationItemChangeNotification",
		"recordVersion":            "1.3",
	})
	fmt.Fprintln(w)
	fmt.Fprintf(w, "2. An EC2 endpoint is created in %s; Config sends the change of the AWS::EC2::VPCEndpoint.\n", fixed.vpc.Name)
	if err := invoke(ctx, w, rt, moto, config, change, names); err != nil {
		return err
	}

	rt.Stop()
	config.Stop()
	moto.Stop()
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Stopped the runtime emulator, the Config fake and moto. Done in %.1f s.\n", time.Since(start).Seconds())
	return nil
}

// seeded is one VPC of the demo's estate, and what it shows.
type seeded struct {
	vpc   localaws.SeededVPC
	about string
}

// seed creates the demo's estate; the default VPC moto makes in every region comes last.
func seed(ctx context.Context, api *ec2.Client) ([]seeded, error) {
	twoAZs := []string{region + "a", region + "b"}
	specs := []localaws.VPCSpec{
		{Name: "compliant", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: ec2Name, PrivateDNS: true, HTTPSFromVPC: true}}},
		{Name: "no-endpoint", AZs: twoAZs},
		{Name: "ec2messages-only", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: msgName, PrivateDNS: true}}},
		{Name: "endpoint-deleted", AZs: twoAZs, Endpoints: []localaws.EndpointSpec{{Service: ec2Name, PrivateDNS: true, Deleted: true}}},
	}
	abouts := []string{
		"Interface endpoint for " + ec2Name + " in 2 AZs, private DNS",
		"no VPC endpoint at all",
		"only a " + msgName + " endpoint (Systems Manager's, not the EC2 API)",
		"its " + ec2Name + " endpoint was deleted",
	}
	vpcs, err := localaws.Seed(ctx, api, specs...)
	if err != nil {
		return nil, err
	}
	out := make([]seeded, 0, len(vpcs)+1)
	for i, v := range vpcs {
		out = append(out, seeded{v, abouts[i]})
	}
	def, err := localaws.DefaultVPCID(ctx, api)
	if err != nil {
		return nil, err
	}
	return append(out, seeded{localaws.SeededVPC{ID: def, Name: "default"}, "the region's default VPC, no endpoint"}), nil
}

// invoke sends ev through the runtime emulator and prints what the function reported and the
// calls it made, counted at the local servers.
func invoke(ctx context.Context, w io.Writer, rt *localaws.Runtime, moto *localaws.Moto, config *localaws.ConfigService, ev events.ConfigEvent, names map[string]string) error {
	moto.ResetCalls()
	config.ResetCalls()
	start := time.Now()
	body, err := rt.Invoke(ctx, ev)
	took := time.Since(start)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, rt.Output())
	}
	if fe, failed := localaws.AsFunctionError(body); failed {
		return fmt.Errorf("the function failed: %s: %s\n%s", fe.Type, fe.Message, rt.Output())
	}

	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tNAME\tCOMPLIANCE\tANNOTATION")
	for _, p := range config.Puts() {
		for _, e := range p.Evaluations {
			lines := wrap(e.Annotation, 64)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.ResourceID, names[e.ResourceID], e.Compliance, lines[0])
			for _, l := range lines[1:] {
				fmt.Fprintf(tw, "\t\t\t%s\n", l)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// Operations in the order the function first called them; a Repeat (the SDK re-sending a
	// call whose answer its connection lost) is the same call.
	calls := slices.DeleteFunc(append(moto.Calls(), config.Calls()...), func(c localaws.Call) bool { return c.Repeat })
	slices.SortStableFunc(calls, func(a, b localaws.Call) int { return a.Time.Compare(b.Time) })
	counts := make(map[string]int)
	var ops []string
	for _, c := range calls {
		if counts[c.Op] == 0 {
			ops = append(ops, c.Op)
		}
		counts[c.Op]++
	}
	for i, op := range ops {
		ops[i] = fmt.Sprintf("%s %d", op, counts[op])
	}
	total := len(calls)
	fmt.Fprintf(w, "API calls: %d (%s); invocation answered in %d ms.\n", total, strings.Join(ops, ", "), took.Milliseconds())
	return nil
}

// wrap cuts s into lines of at most width characters at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

func event(invoking map[string]any) events.ConfigEvent {
	rule := localaws.Rule{Region: region, AccountID: account, Name: ruleName, ID: "config-rule-demo01", ResultToken: "demo-result-token"}
	ev, err := rule.Event(invoking, "")
	if err != nil {
		panic(err) // the demo's own maps always encode
	}
	return ev
}
