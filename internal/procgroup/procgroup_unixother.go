//go:build unix && !linux

package procgroup

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death signal (macOS): a child
// whose parent died sees its pipes close and exits.
func setParentDeathSignal(*syscall.SysProcAttr) {}
