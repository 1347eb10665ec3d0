//go:build unix && !linux

package capture

import "syscall"

// setParentDeathSignal does nothing where there is no parent-death signal: ffmpeg then ends
// on its next write to the closed pipe.
func setParentDeathSignal(*syscall.SysProcAttr) {}
