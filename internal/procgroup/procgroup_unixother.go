//go:build unix && !linux

package procgroup

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death signal (macOS): a child
// whose parent died sees its pipes close and exits.
func setParentDeathSignal(*syscall.SysProcAttr) {}

// groupAlive reports whether any process of group pgid still exists.
func groupAlive(pgid int) bool { return pgid > 0 && syscall.Kill(-pgid, 0) == nil }
