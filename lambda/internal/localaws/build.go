package localaws

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// BuildBootstrap builds the function (./lambda) for this machine into dir, the way the Lambda
// artifact is built but for the host's OS and architecture, and returns the executable's path.
func BuildBootstrap(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, "./lambda")
	cmd.Dir = root
	// The same CGO_ENABLED and -trimpath as every other build here, so the build cache is shared.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build bootstrap: %w\n%s", err, b)
	}
	return out, nil
}
