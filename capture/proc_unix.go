//go:build unix

package capture

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own, so a Ctrl-C meant for the narrator
// does not reach it first and killProcessGroup can end it with everything it started.
func ownProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)
}

// killProcessGroup kills the process group cmd leads.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
