package keys

import "golang.org/x/sys/unix"

// The ioctl requests that read and set a terminal's attributes on macOS.
const ioctlGetTermios, ioctlSetTermios = unix.TIOCGETA, unix.TIOCSETA
