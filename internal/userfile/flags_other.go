//go:build !unix

package userfile

// openFlags: elsewhere there is no FIFO to wait on.
const openFlags = 0
