// Package localaws runs local stand-ins for the AWS services the rule talks to, over the real wire
// protocols: moto for EC2 (behind a front that counts calls and can inject faults), a recording
// fake of the AWS Config API, and the Lambda Runtime Interface Emulator for the invocation path.
// The tests and `make demo` use it; nothing in it reaches AWS.
package localaws

import (
	"cmp"
	"errors"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// installHint is how a developer gets every tool this package runs.
const installHint = "run `make tools` in the repository root"

// Missing is the error returned when a tool this package runs cannot be found.
type Missing struct {
	// Tool is the program's name, e.g. moto_server.
	Tool string
	// Looked lists where it was looked for, in order.
	Looked []string
	// Hint says how to get it.
	Hint string
}

func (m *Missing) Error() string {
	return fmt.Sprintf("%s not found (looked in: %s): %s", m.Tool, strings.Join(m.Looked, ", "), m.Hint)
}

// IsMissing reports whether err is (or wraps) a Missing tool.
func IsMissing(err error) bool {
	var m *Missing
	return errors.As(err, &m)
}

// RequireTools stops tb when err says a tool could not be had: in CI (CI=true) the test fails,
// elsewhere it is skipped with a message naming the tool and how to get it. Any other non-nil
// error fails the test.
func RequireTools(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if IsMissing(err) && os.Getenv("CI") != "true" {
		tb.Skip(err.Error())
	}
	tb.Fatal(err)
}

// RepoRoot returns the repository root: the nearest directory at or above the working directory
// that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// findTool returns the first executable among envVar's value, the candidate paths, and name on
// PATH; a *Missing error lists where it looked.
func findTool(name, envVar string, candidates ...string) (string, error) {
	var looked []string
	if p := os.Getenv(envVar); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", &Missing{Tool: name, Looked: []string{"$" + envVar + "=" + p + " (not an executable file)"}, Hint: "fix " + envVar + " or unset it; or " + installHint}
	}
	looked = append(looked, "$"+envVar)
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if isExecutable(c) {
			return c, nil
		}
		looked = append(looked, c)
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	looked = append(looked, "PATH")
	return "", &Missing{Tool: name, Looked: looked, Hint: installHint}
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

// FindMoto returns the moto_server to run: $MOTO_SERVER, then the repository's .venv (where
// `make tools` installs it), then PATH.
func FindMoto() (string, error) {
	var venv string
	if root, err := RepoRoot(); err == nil {
		venv = filepath.Join(root, ".venv", "bin", "moto_server")
	}
	return findTool("moto_server", "MOTO_SERVER", venv)
}

// FindRuntimeEmulator returns the aws-lambda-rie to run: $AWS_LAMBDA_RIE, then the repository's
// .tools (where `make tools` installs it), then GOPATH/bin, then PATH.
func FindRuntimeEmulator() (string, error) {
	var local string
	if root, err := RepoRoot(); err == nil {
		local = filepath.Join(root, ".tools", "aws-lambda-rie")
	}
	var gopathBin string
	if gp := cmp.Or(os.Getenv("GOPATH"), build.Default.GOPATH); gp != "" {
		gopathBin = filepath.Join(filepath.SplitList(gp)[0], "bin", "aws-lambda-rie")
	}
	return findTool("aws-lambda-rie", "AWS_LAMBDA_RIE", local, gopathBin)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
