//go:build unix

package scale

import (
	"os/exec"
	"syscall"
	"time"
)

// terminate asks a host to stop cleanly.
var terminate = syscall.SIGTERM

// selfCPU is this process's CPU time (user+system) so far: the harness, its cameras and, when
// it started one, the NATS server.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU is the CPU time of a subprocess that has exited.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
