package keys

import "golang.org/x/sys/unix"

// The ioctl requests that read and set a terminal's attributes on Linux.
const ioctlGetTermios, ioctlSetTermios = unix.TCGETS, unix.TCSETS
