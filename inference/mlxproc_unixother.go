//go:build unix && !linux

package inference

import "syscall"

// setParentDeathSignal does nothing where the kernel has no parent-death signal (macOS): a
// worker whose parent died sees its stdin close and exits.
func setParentDeathSignal(*syscall.SysProcAttr) {}
