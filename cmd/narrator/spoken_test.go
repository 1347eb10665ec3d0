package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference/openai/servertest"
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

// testPNG writes a small PNG made by ffmpeg's test source.
func testPNG(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "page.png")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// TestDescribeSaysTheModelsAnswerAndExits describes a PNG with a stand-in llama-server
// (inference/openai/servertest) and prints the answer with --speech text: run returns nil on
// its own once the answer has been said.
func TestDescribeSaysTheModelsAnswerAndExits(t *testing.T) {
	model := servertest.Llama(t, servertest.Options{})
	var stdout, stderr lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector
	defer cancel()
	err := run(ctx, []string{"describe", "--speech", "text", "--backend", "openai", "--openai-url", model.URL, testPNG(t)}, &stdout, &stderr)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("describe: %v (context %v)\n%s", err, ctx.Err(), stderr.String())
	}
	if got, want := stdout.String(), "» "+servertest.Description+"\n"; got != want {
		t.Fatalf("describe printed %q, want only %q; stderr:\n%s", got, want, stderr.String())
	}
	if n := len(model.Chats()); n != 1 {
		t.Fatalf("the model was asked %d times, want once", n)
	}
}

func TestDescribeErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"describe"}, "describe needs an image"},
		{[]string{"describe", "--speech"}, "describe needs an image"},
		{[]string{"describe", "/no/such/page.png"}, "no such file"},
	} {
		var stdout, stderr lockedBuffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("narrator %q = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

// TestRunOfASingleImageWaitsForItsDescription: a file: source that is one image ends at once;
// the run still says the description, then stops by itself.
func TestRunOfASingleImageWaitsForItsDescription(t *testing.T) {
	var stdout, stderr lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, []string{"run", "--source", "file:" + testPNG(t), "--backend", "heuristic", "--speech", "text", "--announce", "none", "--max-age", "0"}, &stdout, &stderr)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("run: %v (context %v)\n%s", err, ctx.Err(), stderr.String())
	}
	if lines := strings.Split(strings.TrimSpace(stdout.String()), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "» ") || len(lines[0]) < 10 {
		t.Fatalf("run printed %q, want the one description", stdout.String())
	}
}
