//go:build unix

package inference

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownGroup puts the worker in a process group of its own: Ctrl-C in the terminal does not reach
// it (narrator shuts it down in order), and killing the group also kills anything it started.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setParentDeathSignal(cmd.SysProcAttr)
}

// killGroup kills the process group pgid; a group that is already gone is not an error.
func killGroup(pgid int) error {
	if pgid <= 0 {
		return nil
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// groupAlive reports whether any process of group pgid is still running.
func groupAlive(pgid int) bool {
	return pgid > 0 && syscall.Kill(-pgid, 0) == nil
}
