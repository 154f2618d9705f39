package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// Exit codes of the command line: 0 success, 1 a finding (a NON_COMPLIANT VPC), 2 a usage error
// or a failure to run, as grep and the AWS CLI use them.
const (
	exitOK      = 0
	exitFinding = 1
	exitFailed  = 2
)

// command is one subcommand of the binary run outside Lambda.
type command struct {
	name    string
	summary string
	// run does the command with the arguments after its name and returns the exit code; prog is
	// the binary's name, for help.
	run func(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int
}

// commands returns the subcommands, in the order usage lists them.
func commands() []command {
	return []command{
		{name: "audit", summary: "evaluate the VPCs of accounts and regions with your credentials; changes nothing", run: runAudit},
		{name: "remediate", summary: "plan the fix of a VPC for every practice check; make it (--apply) or write it as Terraform or CloudFormation", run: runRemediate},
		{name: "version", summary: "print the version and the Go version", run: runVersion},
	}
}

// runCLI runs the command line args (args[0] is the binary) and returns the exit code.
func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	prog := "bootstrap"
	if len(args) > 0 {
		prog = filepath.Base(args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		printUsage(stdout, prog)
		return exitOK
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 {
			// "help audit" is "audit --help".
			if c, ok := lookupCommand(args[1]); ok {
				return c.run(ctx, prog, []string{"--help"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "%s: unknown command %q\n\n", prog, args[1])
			printUsage(stderr, prog)
			return exitFailed
		}
		printUsage(stdout, prog)
		return exitOK
	case "--version":
		return runVersion(ctx, prog, nil, stdout, stderr)
	}
	c, ok := lookupCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", prog, args[0])
		printUsage(stderr, prog)
		return exitFailed
	}
	return c.run(ctx, prog, args[1:], stdout, stderr)
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printUsage(w io.Writer, prog string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s <command> [flags]\n\n", prog)
	b.WriteString("The AWS Config rule for Security Hub control EC2.10: every VPC reaches the EC2 API through an\n")
	b.WriteString("interface VPC endpoint. Run by AWS Lambda it is the rule's function; run here, these commands:\n\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "\nRun '%s <command> --help' for a command's flags.\n", prog)
	_, _ = io.WriteString(w, b.String())
}

// version is the release, set at build time: go build -ldflags "-X main.version=v1.2.3".
var version string

// buildInfo is what identifies this build.
type buildInfo struct {
	Version   string `json:"version"`            // the release: set at build time, or the module version when installed with go install
	Revision  string `json:"revision,omitempty"` // the VCS revision, with "-dirty" for a modified tree, when the build recorded it
	GoVersion string `json:"goVersion"`
}

func (b buildInfo) String() string {
	s := "ec2-vpc-endpoint-rule " + b.Version
	if b.Revision != "" {
		s += " (" + b.Revision + ")"
	}
	return s + " " + b.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// readBuildInfo returns the build's version: the value set at build time, else the module version
// from the build information; "(devel)" when neither says more.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if b.Version == "" {
		b.Version = info.Main.Version
	}
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if b.Revision != "" && modified {
		b.Revision += "-dirty"
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

func runVersion(_ context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintf(stdout, "Usage: %s version\n\nPrints the version, the VCS revision when the build recorded it, and the Go version.\n", prog)
			return exitOK
		}
		fmt.Fprintf(stderr, "%s version: unexpected argument %q\n", prog, args[0])
		return exitFailed
	}
	fmt.Fprintln(stdout, readBuildInfo())
	return exitOK
}
