//go:build unix && !linux

package procgroup

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death signal (macOS): a child
// whose parent died sees its pipes close and exits.
func setParentDeathSignal(*syscall.SysProcAttr) {}

// groupAlive reports whether any process of group pgid still exists.
func groupAlive(pgid int) bool { return pgid > 0 && syscall.Kill(-pgid, 0) == nil }

// killLeftovers kills group pgid, whose leader has been reaped. Without /proc the group's
// members cannot be told apart from a new process that was given the leader's id.
func killLeftovers(pgid int) error { return killGroup(pgid) }
