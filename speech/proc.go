package speech

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/internal/procgroup"
)

// command builds a subprocess that runs in its own process group, so ending ctx kills it and
// everything it started at once.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	procgroup.Own(cmd)
	cmd.WaitDelay = time.Second
	return cmd
}

// run runs name with stdin as its input and returns what it wrote to stdout. Errors carry the
// tail of its stderr.
func run(ctx context.Context, stdin string, name string, args ...string) ([]byte, error) {
	cmd := command(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout bytes.Buffer
	stderr := &procgroup.Tail{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", name, context.Cause(ctx))
		}
		return nil, fmt.Errorf("%s: %w%s", name, err, stderrTail(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// stderrTail formats the last line of a subprocess's stderr for an error message.
func stderrTail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return ": " + s
}

// lookPath reports whether name is an executable on PATH, with a clear error if not.
func lookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", fmt.Errorf("%s is not installed (not found on PATH)", name)
		}
		return "", fmt.Errorf("find %s: %w", name, err)
	}
	return p, nil
}
