// Package procgroup runs subprocesses (ffmpeg, the model worker, speech synthesizers) in process
// groups of their own, so a Ctrl-C meant for the narrator does not reach them first and ending
// one ends everything it started, with no orphans.
package procgroup

import "os/exec"

// Own makes cmd start in a new process group. On Linux the group's leader is also killed if the
// narrator dies without cleaning up. When cmd was made with exec.CommandContext, ending the
// context kills the whole group. Call it before cmd.Start.
func Own(cmd *exec.Cmd) {
	own(cmd)
	cmd.Cancel = func() error { return Kill(cmd) }
}

// Kill kills the process group that cmd leads; a group that is already gone is not an error.
func Kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
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
