package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestCtlControlsARun(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	startRun(t, addr, "--mode", "changes")
	ctl := func(args ...string) (string, error) {
		var stdout, stderr lockedBuffer
		err := run(context.Background(), append(append([]string{"ctl"}, args...), "--nats", "nats://"+addr), &stdout, &stderr)
		return stdout.String(), err
	}
	out, err := ctl("status")
	if err != nil || !strings.Contains(out, "mode changes, verbosity normal, paused false, prompt describe") {
		t.Fatalf("status: %q, %v", out, err)
	}
	// describe waits for the acknowledgement, then prints the description that answers. Until
	// the first frame arrives it says so.
	bustest.Eventually(t, 10*time.Second, "a describable frame", func() bool {
		out, err = ctl("describe")
		return err == nil || !strings.Contains(err.Error(), "no frame has arrived yet")
	})
	if lines := strings.Split(strings.TrimSpace(out), "\n"); err != nil || len(lines) != 2 || lines[0] != "Looking." || lines[1] == "" {
		t.Fatalf("describe: %q, %v", out, err)
	}
	out, err = ctl("ask", "what colour is the wall?")
	if err != nil || !strings.HasPrefix(out, "Asking. Not a model, so describing instead of answering.\n") {
		t.Fatalf("ask: %q, %v", out, err)
	}
	if out, err = ctl("verbosity", "up"); err != nil || strings.TrimSpace(out) != "More detail." {
		t.Fatalf("verbosity up: %q, %v", out, err)
	}
	if out, err = ctl("--json", "pause"); err != nil || !strings.Contains(out, `"paused":true`) {
		t.Fatalf("pause --json: %q, %v", out, err)
	}
	if _, err = ctl("verbosity", "loud"); err == nil || !strings.Contains(err.Error(), "use up, down") {
		t.Fatalf("verbosity loud: %v", err)
	}
}

func TestCtlErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ctl"}, "needs a command"},
		{[]string{"ctl", "dance"}, `unknown command "dance"`},
		{[]string{"ctl", "ask"}, "ask needs a question"},
		{[]string{"ctl", "verbosity"}, "verbosity needs one of"},
		{[]string{"ctl", "pause", "now"}, "takes no arguments"},
		{[]string{"ctl", "pause", "--nats", "nats://127.0.0.1:" + freePort(t), "--timeout", "2s"}, "127.0.0.1"},
	} {
		var stdout, stderr lockedBuffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("narrator %v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}
