package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus/bustest"
)

// runUntil runs the narrator in-process with args until stdout holds want (or 2 min pass, a
// hang detector; a loaded machine with the race detector is slow), then stops it and returns what
// it printed.
func runUntil(t *testing.T, want string, args ...string) (stdout, stderr string) {
	t.Helper()
	var out, errOut lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, &out, &errOut) }()
	bustest.Eventually(t, 2*time.Minute, "stdout to hold "+want, func() bool { return strings.Contains(out.String(), want) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	return out.String(), errOut.String()
}

func TestRunSaysItsStartupSummary(t *testing.T) {
	const summary = "» Narrating the demo scene, a generated picture and not a camera; described by the heuristic describer, which is not a model; printed, not spoken.\n"
	for _, c := range []struct {
		level string
		want  bool
	}{{"all", true}, {"errors", false}, {"none", false}} {
		// The first narration comes after the start-up announcements (they go first in the
		// speech queue), so once it is printed every announcement has been.
		out, errOut := runUntil(t, "» Bright", "run", "--source", "demo", "--backend", "heuristic", "--speech", "text", "--announce", c.level)
		want := 0
		if c.want {
			want = 1
		}
		if got := strings.Count(out, summary); got != want {
			t.Errorf("--announce %s: the summary is printed %d times, want %d; stdout:\n%s\nstderr:\n%s", c.level, got, want, out, errOut)
		}
		if c.want && !strings.HasPrefix(out, summary) {
			t.Errorf("--announce %s: the summary is not the first thing said; stdout:\n%s", c.level, out)
		}
	}
}

func TestRunRejectsABadAnnounceLevel(t *testing.T) {
	var stdout, stderr lockedBuffer
	err := run(context.Background(), []string{"run", "--announce", "loud"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "all, errors or none") {
		t.Fatalf("run --announce loud = %v, want an error naming the values", err)
	}
}
