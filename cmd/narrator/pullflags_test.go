package main

import (
	"context"
	"strings"
	"testing"
)

// TestMaxAgeBelongsToItsCommand: `narrator infer --max-age` is the inference stage's (default
// 10s), `narrator run --max-age` capture's (default 2s), each defined once, and both take --pull.
func TestMaxAgeBelongsToItsCommand(t *testing.T) {
	for cmd, want := range map[string]string{"infer": "a free host is counted stale", "run": "drop, never send"} {
		var stdout, stderr lockedBuffer
		if err := run(context.Background(), []string{cmd, "--help"}, &stdout, &stderr); err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		help := stderr.String()
		if n := strings.Count(help, "  -max-age "); n != 1 {
			t.Errorf("narrator %s --help lists --max-age %d times", cmd, n)
		}
		if !strings.Contains(help, want) || !strings.Contains(help, "  -pull") {
			t.Errorf("narrator %s --help: want --max-age saying %q and --pull:\n%s", cmd, want, help)
		}
	}
}
