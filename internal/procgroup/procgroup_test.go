//go:build unix

package procgroup

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// grandchild starts `sh` that starts a long sleep and prints the sleep's pid.
func grandchild(t *testing.T, ctx context.Context) (*exec.Cmd, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 300 & echo $!; wait")
	Own(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatalf("no pid from the child: %q", buf[:n])
	}
	return cmd, pid
}

func TestKillEndsTheWholeGroup(t *testing.T) {
	cmd, sleeper := grandchild(t, context.Background())
	if !Alive(cmd) {
		t.Fatal("group not alive after start")
	}
	if err := Kill(cmd); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	waitGone(t, sleeper)
	if Alive(cmd) {
		t.Fatal("group still alive after Kill")
	}
	if err := Kill(cmd); err != nil {
		t.Fatalf("killing a gone group: %v", err)
	}
}

func TestCancelKillsTheWholeGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd, sleeper := grandchild(t, ctx)
	cancel()
	cmd.Wait()
	waitGone(t, sleeper)
}

// waitGone polls until pid no longer exists (a killed grandchild is reaped by init).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for exec.Command("kill", "-0", strconv.Itoa(pid)).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d survived", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
