//go:build unix

package mlx

import (
	"errors"
	"syscall"

	"github.com/narrator-dev/narrator/internal/procgroup"
)

// groupAlive reports whether any process of group pgid still runs (zombies that a container's
// init never reaps do not count: pyenv's shim leaves some behind when killed mid-start).
func groupAlive(pgid int) bool { return procgroup.GroupAlive(pgid) }

// killGroup kills a group a failed test left behind.
func killGroup(pgid int) error {
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
