// Command bench measures the figures the README publishes and prints them as one table, with
// the machine they were measured on:
//
//   - the rule's sweep over 10,000 VPCs and 50,000 endpoints: time and memory allocated per
//     sweep (the rule package's BenchmarkEvaluateSweep);
//   - API calls per event: a change event's, counted at the local servers on every warm
//     invocation below, and a sweep's on the paginated path (lambda's TestBenchSweepCallBudget);
//   - cold start: a fresh Lambda Runtime Interface Emulator each time, which starts the function
//     when it receives the first invocation, a change event against moto and the local Config:
//     from sending that invocation to its answer, with the function's init and, apart, the
//     emulator's own start;
//   - warm invocation latency of the same event;
//   - the deployment package: the zipped arm64 bootstrap that `make package` writes;
//   - the audit command at organization scale: 20 accounts × 3 regions on one moto (whose
//     AssumeRole credentials act in the role's account), --parallel 8 against --parallel 1 in
//     the same run, and the API calls per target counted at moto.
//
// Run it with `make bench`, which provides the tools and the package first. It ends with a
// verdict line, and exits with status 1 when a target is missed or a measurement could not be
// made, so that a missed target cannot pass unnoticed.
package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
)

const (
	region   = "us-east-1"
	ruleName = "ec2-vpc-endpoint-rule"
	ec2Name  = "com.amazonaws." + region + ".ec2"
	// fixtureVPCID is the VPC that lambda/testdata/vpc-change.json describes; the benchmark
	// replaces it with a VPC seeded in moto.
	fixtureVPCID = "vpc-0a1b2c3d4e5f60718"
)

// The published targets (the README's measured figures).
const (
	sweepTimeTarget  = 50 * time.Millisecond
	sweepAllocTarget = 64_000_000 // bytes
	coldStartTarget  = 50 * time.Millisecond
	zipSizeTarget    = 8_000_000 // bytes
	changeCallTarget = 2
)

func main() {
	zipPath := flag.String("zip", "dist/function.zip", "the deployment package (`make package` writes it), relative to the repository root")
	coldRuns := flag.Int("cold-runs", 15, "cold starts to measure (at least 10)")
	warmInvokes := flag.Int("warm-invokes", 50, "warm invocations to measure")
	flag.Parse()
	if *coldRuns < 10 || *warmInvokes < 10 {
		fmt.Fprintln(os.Stderr, "bench: -cold-runs and -warm-invokes must be at least 10")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	t, err := run(ctx, *zipPath, *coldRuns, *warmInvokes)
	// Read before stop, which cancels ctx too: only a signal makes the failure an interruption.
	interrupted := ctx.Err() != nil
	stop()
	if err != nil {
		if interrupted {
			err = errors.New("interrupted")
		}
		fmt.Fprintln(os.Stderr, "bench: no verdict:", err)
		os.Exit(1)
	}
	t.print(os.Stdout)
	fmt.Println(t.verdict())
	if t.missed() > 0 {
		os.Exit(1)
	}
}

// row is one figure: what was measured, against which target, and whether it met it.
type row struct {
	metric, measured, target string
	// verdict is "pass", "FAIL", or "—" for a figure without a target.
	verdict string
}

func judged(metric, measured, target string, ok bool) row {
	v := "pass"
	if !ok {
		v = "FAIL"
	}
	return row{metric, measured, target, v}
}

type table struct {
	machine string
	rows    []row
	took    time.Duration
}

func (t *table) missed() int {
	n := 0
	for _, r := range t.rows {
		if r.verdict == "FAIL" {
			n++
		}
	}
	return n
}

// verdict is the table's last line: every target met, or which were missed.
func (t *table) verdict() string {
	var missed []string
	targets := 0
	for _, r := range t.rows {
		if r.verdict != "—" {
			targets++
		}
		if r.verdict == "FAIL" {
			missed = append(missed, r.metric)
		}
	}
	if len(missed) == 0 {
		return fmt.Sprintf("Verdict: pass, all %d targets met.", targets)
	}
	return fmt.Sprintf("Verdict: FAIL, %d of %d targets missed: %s.", len(missed), targets, strings.Join(missed, "; "))
}

// print writes the table as Markdown, ready for the README.
func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "\nMachine: %s\n\n", t.machine)
	fmt.Fprintln(w, "| metric | measured | target | result |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.metric, r.measured, r.target, r.verdict)
	}
	fmt.Fprintf(w, "\n%d figures; targets missed: %d; measured in %s.\n", len(t.rows), t.missed(), t.took.Round(time.Second))
}

// run measures everything and returns the table; it stops what it started before it returns.
func run(ctx context.Context, zipPath string, coldRuns, warmInvokes int) (*table, error) {
	start := time.Now()
	root, err := localaws.RepoRoot()
	if err != nil {
		return nil, err
	}
	t := &table{machine: machine()}

	progress("rule: go test -bench EvaluateSweep -benchmem ./rule/")
	rows, err := ruleSweep(ctx, root)
	if err != nil {
		return nil, err
	}
	t.rows = append(t.rows, rows...)

	progress("API calls of a sweep: go test -run TestBenchSweepCallBudget ./lambda/")
	rows, err = sweepCalls(ctx, root)
	if err != nil {
		return nil, err
	}
	t.rows = append(t.rows, rows...)

	progress("function under the runtime emulator: %d cold starts, %d warm invocations", coldRuns, warmInvokes)
	rows, err = invocations(ctx, root, coldRuns, warmInvokes)
	if err != nil {
		return nil, err
	}
	t.rows = append(t.rows, rows...)

	progress("audit: %d accounts × %d regions at --parallel 8 and --parallel 1", auditAccounts, len(auditRegions))
	rows, err = auditScale(ctx)
	if err != nil {
		return nil, err
	}
	t.rows = append(t.rows, rows...)

	progress("deployment package: %s", zipPath)
	r, err := packageSize(filepath.Join(root, zipPath))
	if err != nil {
		return nil, err
	}
	t.rows = append(t.rows, r)
	t.took = time.Since(start)
	return t, nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// machine describes the machine: CPU model, cores, OS and architecture, Go version, and how
// busy it was.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	load := "unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Fields(string(b))[0]
	}
	// The load tells a reader whether other work shared the cores while the figures were taken.
	return fmt.Sprintf("%s, %d cores, %s/%s, %s; load average (1 min) at start %s", cpu, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), load)
}

// goCommand returns a go command run in the repository root with the flags every build here
// shares (CGO_ENABLED=0, -trimpath), so that it reuses the build cache.
func goCommand(ctx context.Context, root string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	return cmd
}

// benchLine is a line of `go test -bench` output: the benchmark, then value-unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

// ruleSweep runs the rule package's sweep benchmark and judges its two realistic cases.
func ruleSweep(ctx context.Context, root string) ([]row, error) {
	out, err := goCommand(ctx, root, "test", "-trimpath", "-run", "^$", "-bench", "EvaluateSweep", "-benchmem", "./rule/").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("rule benchmark: %w\n%s", err, out)
	}
	metrics := make(map[string]map[string]float64)
	for line := range strings.SplitSeq(string(out), "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		values := make(map[string]float64)
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				values[f[i+1]] = v
			}
		}
		metrics[m[1]] = values
	}
	var rows []row
	for _, c := range []struct{ name, label string }{
		{"BenchmarkEvaluateSweep/defaults", "default parameters"},
		{"BenchmarkEvaluateSweep/all-checks", "all practice checks on"},
	} {
		v, ok := metrics[c.name]
		if !ok {
			return nil, fmt.Errorf("rule benchmark: no result for %s in:\n%s", c.name, out)
		}
		perSweep := time.Duration(v["ns/op"])
		rows = append(rows,
			judged("rule sweep, 10,000 VPCs / 50,000 endpoints, "+c.label+": time per sweep",
				fmt.Sprintf("%.1f ms (%.0f ns per VPC)", ms(perSweep), v["ns/vpc"]),
				fmt.Sprintf("< %.0f ms", ms(sweepTimeTarget)), perSweep < sweepTimeTarget),
			judged("rule sweep, same, "+c.label+": memory allocated per sweep",
				fmt.Sprintf("%.1f MB in %.0f allocations", v["B/op"]/1e6, v["allocs/op"]),
				fmt.Sprintf("< %d MB", sweepAllocTarget/1_000_000), v["B/op"] < sweepAllocTarget),
		)
	}
	return rows, nil
}

// initReport is the line of the emulator's log that says how long the function's init took.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// budgetLine is what TestBenchSweepCallBudget logs for each case.
var budgetLine = regexp.MustCompile(`bench: sweep V=(\d+) E=(\d+) held=(\d+) gone=(\d+) subnets=(\d+) groups=(\d+) describes=(\d+)/(\d+) cleanup=(\d+)/(\d+) puts=(\d+)/(\d+)`)

// sweepCalls runs the sweep's call-budget test and reports each of its cases.
func sweepCalls(ctx context.Context, root string) ([]row, error) {
	out, err := goCommand(ctx, root, "test", "-trimpath", "-count=1", "-run", "^TestBenchSweepCallBudget$", "-v", "./lambda/").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("sweep call budget test failed: %w\n%s", err, out)
	}
	var rows []row
	for _, m := range budgetLine.FindAllStringSubmatch(string(out), -1) {
		n := make([]int, len(m)-1)
		for i, s := range m[1:] {
			n[i], _ = strconv.Atoi(s)
		}
		v, e, held, gone, subnets, groups := n[0], n[1], n[2], n[3], n[4], n[5]
		describes, maxDescribes, cleanup, maxCleanup, puts, maxPuts := n[6], n[7], n[8], n[9], n[10], n[11]
		metric := fmt.Sprintf("API calls, sweep of V=%d VPCs, E=%d endpoints, Config holding %d results", v, e, held+gone)
		if gone > 0 {
			metric += fmt.Sprintf(" (%d of gone VPCs)", gone)
		}
		if subnets+groups > 0 {
			metric += fmt.Sprintf(", practice checks on (%d subnets, %d groups)", subnets, groups)
		}
		rows = append(rows, judged(metric,
			fmt.Sprintf("%d calls: %d describe, %d cleanup pages, %d puts", describes+cleanup+puts, describes, cleanup, puts),
			fmt.Sprintf("describe ≤ %d, cleanup ≤ %d, puts ≤ %d", maxDescribes, maxCleanup, maxPuts),
			describes <= maxDescribes && cleanup <= maxCleanup && puts <= maxPuts))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("sweep call budget test logged no case:\n%s", out)
	}
	return rows, nil
}

// The audit's scale: accounts, each assumed through a role, times regions.
const auditAccounts = 20

var auditRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

// auditLatency is the round trip added to each call in the second audit measurement: about
// what an EC2 or STS call takes from a machine in another region.
const auditLatency = 50 * time.Millisecond

// auditScale runs the built binary's audit of auditAccounts × auditRegions against moto, once
// to warm moto up (it creates each account's default VPCs on first sight), then timed at
// --parallel 1 and 8, and counts the API calls of one run.
func auditScale(ctx context.Context) ([]row, error) {
	moto, err := localaws.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	defer moto.Stop()
	dir, err := os.MkdirTemp("", "ec2-vpc-endpoint-rule-bench-audit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bootstrap, err := localaws.BuildBootstrap(ctx, dir)
	if err != nil {
		return nil, err
	}
	accounts := make([]string, auditAccounts)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("1000000000%02d", i+1)
	}
	audit := func(parallel int) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, bootstrap, "audit", "--region", region,
			"--regions", strings.Join(auditRegions, ","), "--accounts", strings.Join(accounts, ","),
			"--role-name", "BenchAudit", "--parallel", strconv.Itoa(parallel), "--output", "json")
		cmd.Env = []string{
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			"AWS_ENDPOINT_URL_EC2=" + moto.URL, "AWS_ENDPOINT_URL_STS=" + moto.URL,
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		out, err := cmd.Output()
		took := time.Since(start)
		// Exit status 1 is the finding (moto's default VPCs have no endpoint); anything else is not.
		var exit *exec.ExitError
		if finding := errors.As(err, &exit) && exit.ExitCode() == 1; err != nil && !finding {
			return 0, fmt.Errorf("audit --parallel %d: %w\n%s", parallel, err, stderr.Bytes())
		}
		var report struct {
			Targets struct{ Total, Failed int }
		}
		if err := json.Unmarshal(out, &report); err != nil {
			return 0, fmt.Errorf("audit --parallel %d output: %w", parallel, err)
		}
		if want := auditAccounts * len(auditRegions); report.Targets.Total != want || report.Targets.Failed != 0 {
			return 0, fmt.Errorf("audit --parallel %d: %d targets, %d failed; want %d, none failed", parallel, report.Targets.Total, report.Targets.Failed, want)
		}
		return took, nil
	}
	if _, err := audit(8); err != nil {
		return nil, err
	}
	targets := auditAccounts * len(auditRegions)
	var rows []row
	var ops map[string]int
	// Against moto as it answers (in well under a millisecond), and with a round trip added to
	// every call, as AWS's endpoints have: what running targets at once hides.
	for _, latency := range []time.Duration{0, auditLatency} {
		moto.OnCall(func(string, int) *localaws.Fault {
			if latency == 0 {
				return nil
			}
			return &localaws.Fault{Delay: latency}
		})
		moto.ResetCalls()
		serial, err := audit(1)
		if err != nil {
			return nil, err
		}
		ops = moto.Operations()
		parallel, err := audit(8)
		if err != nil {
			return nil, err
		}
		ratio := float64(serial) / float64(parallel)
		against := "moto"
		if latency > 0 {
			against = fmt.Sprintf("moto with %d ms added to each call", latency.Milliseconds())
		}
		rows = append(rows, judged(fmt.Sprintf("audit, %d accounts × %d regions against %s: --parallel 8 against --parallel 1", auditAccounts, len(auditRegions), against),
			fmt.Sprintf("%.2f s against %.2f s: %.1f× faster", parallel.Seconds(), serial.Seconds(), ratio),
			"faster than --parallel 1", ratio > 1))
	}
	moto.OnCall(nil)
	perTarget := ops["DescribeVpcs"] + ops["DescribeVpcEndpoints"]
	rows = append(rows, judged("API calls per audit target (an account and a region), default parameters",
		fmt.Sprintf("%.0f: DescribeVpcs %d, DescribeVpcEndpoints %d for %d targets; per audit GetCallerIdentity %d, AssumeRole %d (one per account)",
			float64(perTarget)/float64(targets), ops["DescribeVpcs"], ops["DescribeVpcEndpoints"], targets, ops["GetCallerIdentity"], ops["AssumeRole"]),
		"2", perTarget == 2*targets && ops["AssumeRole"] == auditAccounts))
	return rows, nil
}

// invocations measures the function through the runtime emulator, against moto and the local
// Config: cold starts, each with a fresh emulator and function, then warm invocations of one.
func invocations(ctx context.Context, root string, coldRuns, warmInvokes int) ([]row, error) {
	moto, err := localaws.StartMoto(ctx)
	if err != nil {
		return nil, err
	}
	defer moto.Stop()
	config := localaws.StartConfigService(ruleName)
	defer config.Stop()

	dir, err := os.MkdirTemp("", "ec2-vpc-endpoint-rule-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bootstrap, err := localaws.BuildBootstrap(ctx, dir)
	if err != nil {
		return nil, err
	}

	cfg, err := localaws.AWSConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	vpcs, err := localaws.Seed(ctx, localaws.EC2Client(cfg, moto.ServerURL), localaws.VPCSpec{
		Name: "compliant", AZs: []string{"us-east-1a", "us-east-1b"},
		Endpoints: []localaws.EndpointSpec{{Service: ec2Name, PrivateDNS: true}},
	})
	if err != nil {
		return nil, err
	}
	fixture, err := os.ReadFile(filepath.Join(root, "lambda", "testdata", "vpc-change.json"))
	if err != nil {
		return nil, err
	}
	event := bytes.ReplaceAll(fixture, []byte(fixtureVPCID), []byte(vpcs[0].ID))
	opts := localaws.RuntimeOptions{Bootstrap: bootstrap, Region: region, EC2URL: moto.URL, ConfigURL: config.URL}

	// invoke sends the change event and checks that it was answered as a success, having made
	// its calls: it returns them, per operation, and when the invocation was sent and answered.
	invoke := func(rt *localaws.Runtime) (calls map[string]int, sent, answered time.Time, err error) {
		moto.ResetCalls()
		config.Reset()
		sent = time.Now()
		body, err := rt.Invoke(ctx, event)
		answered = time.Now()
		if err != nil {
			return nil, sent, answered, err
		}
		if fe, failed := localaws.AsFunctionError(body); failed {
			return nil, sent, answered, fmt.Errorf("function error %s: %s\n%s", fe.Type, fe.Message, rt.Output())
		}
		if stored := config.Stored(); len(stored) != 1 || stored[0].Compliance != "COMPLIANT" {
			return nil, sent, answered, fmt.Errorf("the change event stored %v, want the VPC COMPLIANT", stored)
		}
		calls = moto.Operations()
		maps.Copy(calls, config.Operations())
		return calls, sent, answered, nil
	}

	// Each cold start runs a fresh emulator. The emulator starts the function (the bootstrap)
	// when it receives the first invocation, so the function's cold start is that invocation,
	// from being sent to being answered: the bootstrap's start and init (which the emulator
	// reports, as Lambda reports Init Duration) and the handler's first run, on new connections.
	// The emulator's own start, until it listens, is measured apart.
	var cold, withEmulator, listening, initReported []time.Duration
	for range coldRuns {
		opts.ReadyPoll = time.Millisecond
		rt, err := localaws.StartRuntime(ctx, opts)
		if err != nil {
			return nil, err
		}
		listening = append(listening, time.Since(rt.Started()))
		_, sent, answered, err := invoke(rt)
		rt.Stop()
		if err != nil {
			return nil, err
		}
		cold = append(cold, answered.Sub(sent))
		withEmulator = append(withEmulator, answered.Sub(rt.Started()))
		m := initReport.FindStringSubmatch(rt.Output())
		if m == nil {
			return nil, fmt.Errorf("no INIT REPORT in the emulator's log:\n%s", rt.Output())
		}
		d, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return nil, err
		}
		initReported = append(initReported, time.Duration(d*float64(time.Millisecond)))
	}

	opts.ReadyPoll = 0
	rt, err := localaws.StartRuntime(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer rt.Stop()
	if _, _, _, err := invoke(rt); err != nil { // the cold one
		return nil, err
	}
	warm := make([]time.Duration, 0, warmInvokes)
	perEvent := make(map[string]int)
	for i := range warmInvokes {
		calls, sent, answered, err := invoke(rt)
		if err != nil {
			return nil, err
		}
		warm = append(warm, answered.Sub(sent))
		if i > 0 && !maps.Equal(calls, perEvent) {
			return nil, fmt.Errorf("invocation %d made calls %v, the first %v", i+1, calls, perEvent)
		}
		perEvent = calls
	}

	total := 0
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(perEvent)) {
		total += perEvent[op]
		parts = append(parts, fmt.Sprintf("%s %d", op, perEvent[op]))
	}
	for _, d := range [][]time.Duration{cold, withEmulator, listening, initReported, warm} {
		slices.Sort(d)
	}
	return []row{
		judged("API calls, change event of a VPC (counted at the servers, each warm invocation)",
			fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", ")),
			fmt.Sprintf("%d (1 describe + 1 put)", changeCallTarget), total == changeCallTarget),
		judged(fmt.Sprintf("cold start: first change event, sent to the emulator (which then starts the function) until answered (median of %d)", coldRuns),
			fmt.Sprintf("%.1f ms (min %.1f, max %.1f)", ms(median(cold)), ms(cold[0]), ms(cold[len(cold)-1])),
			fmt.Sprintf("< %.0f ms", ms(coldStartTarget)), median(cold) < coldStartTarget),
		{
			metric:   "cold start, of which the function's init: bootstrap started until it waits for its first event (the emulator's INIT REPORT, median)",
			measured: fmt.Sprintf("%.1f ms", ms(median(initReported))),
			target:   "—", verdict: "—",
		},
		{
			metric:   "cold start including the emulator's own start: its process started until the first answer (median)",
			measured: fmt.Sprintf("%.1f ms (the emulator listens after %.1f ms)", ms(median(withEmulator)), ms(median(listening))),
			target:   "—", verdict: "—",
		},
		{
			metric:   fmt.Sprintf("warm invocation, change event against local servers (%d invocations)", warmInvokes),
			measured: fmt.Sprintf("median %.1f ms, p90 %.1f ms", ms(median(warm)), ms(percentile(warm, 90))),
			target:   "—", verdict: "—",
		},
	}, nil
}

// packageSize reports the size of the zipped bootstrap, and of the bootstrap inside it.
func packageSize(path string) (row, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return row{}, fmt.Errorf("%w (run `make package` first)", err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return row{}, err
	}
	defer zr.Close()
	var inside string
	for _, f := range zr.File {
		if f.Name == "bootstrap" {
			inside = fmt.Sprintf(" (bootstrap %.2f MB unzipped)", float64(f.UncompressedSize64)/1e6)
		}
	}
	if inside == "" {
		return row{}, fmt.Errorf("%s holds no bootstrap", path)
	}
	arch, err := zippedArch(zr)
	if err != nil {
		return row{}, err
	}
	return judged("deployment package: zipped "+arch+" bootstrap",
		fmt.Sprintf("%.2f MB%s", float64(fi.Size())/1e6, inside),
		fmt.Sprintf("< %d MB", zipSizeTarget/1_000_000), fi.Size() < zipSizeTarget), nil
}

// zippedArch reads the ELF machine of the zipped bootstrap: the package must be for arm64.
func zippedArch(zr *zip.ReadCloser) (string, error) {
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		defer rc.Close()
		header := make([]byte, 20)
		if _, err := io.ReadFull(bufio.NewReader(rc), header); err != nil {
			return "", err
		}
		if !bytes.HasPrefix(header, []byte("\x7fELF")) {
			return "", errors.New("the zipped bootstrap is not an ELF executable")
		}
		// e_machine, little-endian, at offset 18: 183 is AArch64, 62 x86-64.
		switch machine := int(header[18]) | int(header[19])<<8; machine {
		case 183:
			return "arm64", nil
		case 62:
			return "", errors.New("the zipped bootstrap is amd64; the Lambda artifact is arm64 (`make package`)")
		default:
			return "", fmt.Errorf("the zipped bootstrap is for ELF machine %d, not arm64", machine)
		}
	}
	return "", errors.New("no bootstrap in the package")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median returns the median of sorted.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// percentile returns the p-th percentile of sorted, by nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[cmp.Or(min(rank, len(sorted)), 1)-1]
}
