package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/narrator"
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

func TestKeysSendControlsThatAreAcknowledgedAloud(t *testing.T) {
	srv := bustest.Server(t)
	n, err := narrator.New(bustest.Conn(t, srv, "narrator"), narrator.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	heard := bustest.Collect[bus.Utterance](t, bustest.Conn(t, srv, "ear"), bus.SubjectUtterances, 32)

	var out lockedBuffer
	k := &keyControls{conn: bustest.Conn(t, srv, "keys"), out: &out, log: slog.New(slog.DiscardHandler), goodbyeT: 100 * time.Millisecond}
	for _, c := range []struct {
		key    byte
		want   string
		paused bool
	}{
		{'p', "Paused.", true},
		{'P', "Resumed.", false},
		{'+', "More detail.", false},
		{'-', "Less detail.", false},
		{'r', "Nothing to repeat yet.", false},
		{' ', "Nothing is describing pictures right now.", false},
		{'.', "Rate and volume cannot be changed with this speech output.", false},
		{'?', announce.Make(announce.Help).Text, false},
		{'s', "Stopped.", false},
	} {
		if k.key(ctx, c.key) {
			t.Fatalf("key %q quits", c.key)
		}
		if u := bustest.Next(t, heard, 5*time.Second); u.Text != c.want || u.Kind != bus.KindAnnouncement {
			t.Errorf("key %q: heard %q (%s), want %q", c.key, u.Text, u.Kind, c.want)
		}
		if k.paused != c.paused {
			t.Errorf("after key %q paused = %v", c.key, k.paused)
		}
	}
	if k.key(ctx, 'x') {
		t.Fatal("x quits")
	}
	if !k.key(ctx, 'q') {
		t.Error("q does not quit")
	}
	if u := bustest.Next(t, heard, 5*time.Second); u.Text != "Goodbye." {
		t.Errorf("q: heard %q, want Goodbye. (x says nothing)", u.Text)
	}
	if got := out.String(); got != "" {
		t.Errorf("the keys printed %q: acknowledgements are heard (and transcribed), not printed", got)
	}
}
