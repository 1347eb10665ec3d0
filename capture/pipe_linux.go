package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// frameBuffer is how many bytes of frames may wait between ffmpeg and the reader: about one
// 720p frame, as the 1 MiB pipe this replaced (the kernel caps it at net.core.wmem_max).
const frameBuffer = 1 << 20

// framePipe returns the ends of the channel ffmpeg writes frames into: on Linux a Unix stream
// socket pair, not a pipe, so the planes of a frame are read in one recvmsg(2) with
// MSG_WAITALL. ffmpeg writes 32 KiB at a time; a reader of a pipe (or of a socket through Go's
// netpoller) is woken, returns to Go and parks again for each of them, about 30 times a frame,
// while the socket's reader waits in the kernel until the frame is complete. w is ffmpeg's
// stdout; the caller closes it once ffmpeg has started.
func framePipe() (frameConn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err == nil {
		err = syscall.SetNonblock(fds[0], true) // the reading end waits in Go's netpoller
		if err != nil {
			_, _ = syscall.Close(fds[0]), syscall.Close(fds[1])
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("frame socket: %w", err)
	}
	// Best effort: a refusal leaves the default buffer, which only means more wake-ups.
	_ = syscall.SetsockoptInt(fds[1], syscall.SOL_SOCKET, syscall.SO_SNDBUF, frameBuffer)
	_ = syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_RCVBUF, frameBuffer)
	r, w := os.NewFile(uintptr(fds[0]), "frames"), os.NewFile(uintptr(fds[1]), "ffmpeg stdout") // ffmpeg's end blocks
	rc, err := r.SyscallConn()
	if err != nil {
		_, _ = r.Close(), w.Close()
		return nil, nil, fmt.Errorf("frame socket: %w", err)
	}
	return &sockConn{File: r, rc: rc}, w, nil
}

// sockConn is the reading end of framePipe. Read (the header lines) waits for data in Go's
// netpoller like any socket. readFull, called once the frame has begun to arrive, makes the
// descriptor blocking for one recvmsg with MSG_WAITALL, which returns when the rest of the
// frame is there: its thread waits in the kernel for a millisecond or so while ffmpeg writes,
// never for the next frame (a thread blocked that long in a system call has its P taken by the
// runtime's monitor, which then polls every 20 µs for a while: that cost more than it saved).
type sockConn struct {
	*os.File
	rc syscall.RawConn
	// The recvmsg call in flight, kept here (with the function that makes it, made once) so
	// reading a frame does not allocate.
	iov   [maxBufs]unix.Iovec
	msg   unix.Msghdr
	n     uintptr
	errno syscall.Errno
	recv  func(fd uintptr) bool
}

// maxBufs is how many buffers one readFull call fills: a frame's planes.
const maxBufs = 3

// readFull fills bufs (at most maxBufs) in order, returning when they are full, the peer has
// gone (io.ErrUnexpectedEOF, or io.EOF before the first byte) or Close was called. It is not
// safe for concurrent use.
func (c *sockConn) readFull(bufs ...[]byte) (int, error) {
	if len(bufs) > maxBufs {
		return 0, fmt.Errorf("read %d buffers at once: at most %d", len(bufs), maxBufs)
	}
	if c.recv == nil {
		c.recv = func(fd uintptr) bool {
			c.errno = 0
			if err := syscall.SetNonblock(int(fd), false); err != nil {
				c.n, c.errno = 0, err.(syscall.Errno)
				return true
			}
			c.n, _, c.errno = syscall.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.msg)), unix.MSG_WAITALL)
			if err := syscall.SetNonblock(int(fd), true); err != nil && c.errno == 0 {
				c.errno = err.(syscall.Errno)
			}
			return true
		}
	}
	defer func() { c.iov, c.msg = [maxBufs]unix.Iovec{}, unix.Msghdr{} }() // hold no buffer
	want, got := 0, 0
	for _, b := range bufs {
		want += len(b)
	}
	for got < want {
		// The iovecs of what is still to read: a signal may end MSG_WAITALL early.
		k, skip := 0, got
		for _, b := range bufs {
			if skip >= len(b) {
				skip -= len(b)
				continue
			}
			b = b[skip:]
			skip = 0
			c.iov[k] = unix.Iovec{Base: &b[0]}
			c.iov[k].SetLen(len(b))
			k++
		}
		c.msg = unix.Msghdr{Iov: &c.iov[0]}
		c.msg.SetIovlen(k)
		err := c.rc.Read(c.recv)
		switch {
		case err != nil:
			return got, err
		case c.errno == syscall.EINTR || c.errno == syscall.EAGAIN:
			continue
		case c.errno != 0:
			return got, &os.SyscallError{Syscall: "recvmsg", Err: c.errno}
		case c.n == 0 && got == 0:
			return 0, io.EOF
		case c.n == 0:
			return got, io.ErrUnexpectedEOF
		}
		got += int(c.n)
	}
	return got, nil
}

// Close wakes a read blocked in the kernel (shutdown) and closes the descriptor once no read
// uses it. Closing again is not an error.
func (c *sockConn) Close() error {
	_ = c.rc.Control(func(fd uintptr) { _ = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) }) // best effort: only wakes a blocked read
	err := c.File.Close()
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
