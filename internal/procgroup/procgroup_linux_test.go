package procgroup

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		line  string
		state byte
		pgid  int
		ok    bool
	}{
		{"123 (python3) S 1 123 123 0 -1", 'S', 123, true},
		{"124 (a) b (c)) Z 1 99 99 0", 'Z', 99, true},
		{"125 (sh) R 1", 0, 0, false},
		{"garbage", 0, 0, false},
		{"126 (x) S 1 notanumber 1", 0, 0, false},
	} {
		state, pgid, ok := parseStat([]byte(tc.line))
		if state != tc.state || pgid != tc.pgid || ok != tc.ok {
			t.Errorf("parseStat(%q) = %q, %d, %v; want %q, %d, %v", tc.line, state, pgid, ok, tc.state, tc.pgid, tc.ok)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("123 (python3) S 1 123 123 0 -1"))
	f.Add([]byte("124 (a) b (c)) Z 1 99 99 0"))
	f.Fuzz(func(t *testing.T, b []byte) { parseStat(b) })
}

// TestKillAfterTheLeaderWasReaped: once the group's leader has been reaped, Kill still ends
// what the leader left in its group, but never a process that was given the leader's id.
// The id's reuse is played by a process of a group of its own: Kill's leftovers pass over
// the process whose id is the group's, which is what that new process would be.
func TestKillAfterTheLeaderWasReaped(t *testing.T) {
	// The leader starts a sleep in its group and exits at once; it is reaped, the sleep stays.
	cmd := exec.CommandContext(context.Background(), "sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!")
	Own(cmd)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sleeper, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("no pid from the leader: %q", out)
	}
	t.Cleanup(func() { _ = syscall.Kill(sleeper, syscall.SIGKILL) })
	if !GroupAlive(cmd.Process.Pid) {
		t.Fatal("the group has no live member after its leader exited")
	}
	if err := Kill(cmd); err != nil {
		t.Fatal(err)
	}
	waitGone(t, sleeper)

	// A process leading a group of its own, as one given a reaped leader's id would: the
	// leftovers of "its" group never include it.
	// It is then ended with SIGTERM: had it been sent a SIGKILL, that is how it would have died.
	other := exec.CommandContext(context.Background(), "sleep", "300")
	Own(other)
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	if err := killLeftovers(other.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := other.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = other.Wait()
	if ws := other.ProcessState.Sys().(syscall.WaitStatus); ws.Signal() != syscall.SIGTERM {
		t.Fatalf("the process with the group's id ended by %v, want SIGTERM: the leftovers of a reaped leader's group included it", ws.Signal())
	}
}
