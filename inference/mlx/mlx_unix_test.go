//go:build unix

package mlx

import (
	"errors"
	"syscall"
)

// groupAlive reports whether any process of group pgid still runs.
func groupAlive(pgid int) bool { return pgid > 0 && syscall.Kill(-pgid, 0) == nil }

// killGroup kills a group a failed test left behind.
func killGroup(pgid int) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
