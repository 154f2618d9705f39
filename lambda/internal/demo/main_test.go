package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/localaws"
)

func TestFailure(t *testing.T) {
	missing := &localaws.Missing{Tool: "moto_server", Looked: []string{"PATH"}, Hint: "run `make tools` in the repository root"}
	tests := []struct {
		name        string
		err         error
		interrupted bool
		want        string
	}{
		{"missing tool", fmt.Errorf("start moto: %w", missing), false, "start moto: moto_server not found (looked in: PATH): run `make tools` in the repository root"},
		{"other error", errors.New("build bootstrap: exit status 1"), false, "build bootstrap: exit status 1"},
		{"cancelled by a signal", fmt.Errorf("invoke: %w", context.Canceled), true, "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, failure(tt.err, tt.interrupted))
		})
	}
}

// TestRunWithoutMoto runs the demo where moto cannot be found: the error names the tool and the
// fix, not an interruption.
func TestRunWithoutMoto(t *testing.T) {
	t.Setenv("MOTO_SERVER", "")
	t.Setenv("PATH", t.TempDir())
	if _, err := localaws.FindMoto(); err == nil {
		t.Skip("moto is installed in the repository's .venv, so it cannot be made missing here")
	}
	err := run(t.Context(), io.Discard)
	assert.True(t, localaws.IsMissing(err), "error: %v", err)
	assert.Contains(t, failure(err, false), "make tools")
}
