// Package procgroup runs subprocesses (ffmpeg, the model worker, speech synthesizers) in process
// groups of their own, so a Ctrl-C meant for the narrator does not reach them first and ending
// one ends everything it started, with no orphans.
package procgroup

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// Own makes cmd start in a new process group. On Linux the group's leader is also killed if the
// narrator dies without cleaning up. When cmd was made with exec.CommandContext, ending the
// context kills the whole group. Call it before cmd.Start.
func Own(cmd *exec.Cmd) {
	own(cmd)
	cmd.Cancel = func() error { return Kill(cmd) }
}

// Kill kills the process group that cmd leads; a group that is already gone is not an error.
// Once the leader has been reaped its id is free, and the system may already have given it to
// another program that leads a group of its own: then only the processes left in cmd's group
// are killed, one by one, never a process whose id is the leader's.
func Kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if errors.Is(cmd.Process.Signal(syscall.Signal(0)), os.ErrProcessDone) {
		return killLeftovers(cmd.Process.Pid)
	}
	return killGroup(cmd.Process.Pid)
}

// Alive reports whether any process of the group cmd leads is still running.
func Alive(cmd *exec.Cmd) bool {
	return cmd.Process != nil && groupAlive(cmd.Process.Pid)
}

// GroupAlive reports whether any process of group pgid is still running. On Linux exited
// processes waiting to be reaped (zombies) do not count.
func GroupAlive(pgid int) bool { return groupAlive(pgid) }
