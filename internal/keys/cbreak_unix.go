//go:build linux || darwin

package keys

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// cbreak puts the terminal on fd in non-canonical mode without echo, so single keys arrive
// without Enter, while keeping signals (Ctrl-C) and output processing as they were; reads
// return after at most 100 ms without input. restore puts the terminal back as it was.
func cbreak(fd int) (restore func(), err error) {
	if pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err == nil && pgrp != unix.Getpgrp() {
		return nil, errors.New("narrator runs in the background of its terminal")
	}
	old, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("read terminal state: %w", err)
	}
	t, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return nil, fmt.Errorf("read terminal state: %w", err)
	}
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 0, 1
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, t); err != nil {
		return nil, fmt.Errorf("set terminal mode: %w", err)
	}
	return func() { _ = term.Restore(fd, old) }, nil
}

// readKeys reads the keys pressed so far; it returns 0 keys after 100 ms without any.
func readKeys(fd int, buf []byte) (int, error) {
	n, err := unix.Read(fd, buf)
	if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read keys: %w", err)
	}
	return n, nil
}
