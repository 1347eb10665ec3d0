//go:build unix

package bench

import (
	"runtime"
	"syscall"
	"time"
)

// usage is the process's CPU time (user+system) so far and its peak resident set size in bytes.
func usage() (cpu time.Duration, peakRSS int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	peakRSS = int64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // kilobytes everywhere but macOS, which counts bytes
		peakRSS *= 1024
	}
	return cpu, peakRSS
}
