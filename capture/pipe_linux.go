package capture

import (
	"os"
	"syscall"
)

// fSetPipeSize is Linux's F_SETPIPE_SZ fcntl.
const fSetPipeSize = 1031

// growPipe asks the kernel for a pipe buffer of size bytes (at most /proc/sys/fs/pipe-max-size,
// 1 MiB by default, for an unprivileged process), so ffmpeg writes a frame and the reader reads
// it in a few large system calls instead of 64 KiB at a time, with a context switch each. A
// refusal leaves the default and is not an error.
func growPipe(f *os.File, size int) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		for s := size; s >= 64<<10; s /= 2 {
			if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSize, uintptr(s)); errno == 0 {
				return
			}
		}
	})
}
