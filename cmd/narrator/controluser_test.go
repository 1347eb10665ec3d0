package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// TestControlUserRefusesReadersSteering: a narrator run with --control-user lets a client
// logged in as --user read descriptions (narrator listen) but refuses its ctl pause at once
// with a clear error, while the control user's pause is acknowledged.
func TestControlUserRefusesReadersSteering(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	startRun(t, addr, "--user", "reader", "--password", "r-pw", "--control-user", "steer", "--control-password", "s-pw")
	ctl := func(user, password string, args ...string) (string, error) {
		var stdout, stderr lockedBuffer
		args = append(append([]string{"ctl"}, args...), "--nats", "nats://"+addr, "--user", user, "--password", password)
		err := run(context.Background(), args, &stdout, &stderr)
		return stdout.String(), err
	}
	if _, err := ctl("reader", "r-pw", "pause"); !errors.Is(err, bus.ErrNotPermitted) || !strings.Contains(err.Error(), "control user") {
		t.Fatalf("ctl pause as the reader: %v, want it refused naming the control user", err)
	}
	if out, err := ctl("steer", "s-pw", "pause"); err != nil || strings.TrimSpace(out) != "Paused." {
		t.Fatalf("ctl pause as the control user: %q, %v", out, err)
	}

	listener := exec.Command(binary, "listen", "--nats", "nats://"+addr, "--user", "reader", "--password", "r-pw", "--json")
	out, err := listener.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = listener.Process.Kill(); _ = listener.Wait() }()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Subject string          `json:"subject"`
			Data    bus.Description `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err == nil && isDescriptionSubject(ev.Subject) && ev.Data.Text != "" {
			return // the reader reads descriptions
		}
	}
	t.Fatal("listen as the reader ended without printing a description")
}

func TestControlUserFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--speech", "none", "--listen", "127.0.0.1:0", "--control-user", "steer"}, "--control-password"},
		{[]string{"run", "--speech", "none", "--listen", "127.0.0.1:0", "--control-user", "steer", "--control-password", "x"}, "needs --user"},
		{[]string{"run", "--speech", "none", "--nats", "nats://127.0.0.1:1", "--control-user", "steer", "--control-password", "x"}, "with --nats"},
	} {
		out, err := exec.Command(binary, c.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("narrator %v: %v\n%s\nwant an error containing %q", c.args, err, out, c.want)
		}
	}
}

func isDescriptionSubject(subject string) bool {
	kind, _ := bus.SubjectKind(subject)
	return kind == bus.KindDescriptions
}
