//go:build !unix

package scale

import (
	"os"
	"os/exec"
	"time"
)

// terminate asks a host to stop; without signals, it is killed.
var terminate = os.Kill

// selfCPU is not measured here.
func selfCPU() time.Duration { return 0 }

// childCPU is the CPU time of a subprocess that has exited.
func childCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}
