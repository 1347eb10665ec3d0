// Package userfile reads files whose path a user gave (a prompt, a model's config, an image):
// only regular files, and never more than a stated size, so `--prompt /dev/zero` fails at once
// instead of filling memory, and a FIFO or a directory is a clear error instead of a hang.
package userfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is returned for a path that is not a regular file (a directory, a FIFO, a
// device, a socket).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned for a file larger than the caller's cap.
var ErrTooLarge = errors.New("file too large")

// Check returns the file's information if path (after symbolic links) is a regular file.
func Check(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := regular(path, fi); err != nil {
		return nil, err
	}
	return fi, nil
}

// Read returns the contents of the regular file at path if it holds at most max bytes. The
// file is opened without blocking (a FIFO with no writer cannot hang it) and checked after
// opening, so a path swapped for a FIFO or device between a check and the read is caught too;
// at most max+1 bytes are ever read.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: closing cannot lose data
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(path, fi); err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, tooLarge(path, fi.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max { // it grew since the Stat
		return nil, tooLarge(path, int64(len(data)), max)
	}
	return data, nil
}

func tooLarge(path string, size, max int64) error {
	return fmt.Errorf("%s is %d bytes or more; the limit is %d: %w", path, size, max, ErrTooLarge)
}

// regular explains why fi is not a regular file, or returns nil.
func regular(path string, fi fs.FileInfo) error {
	m := fi.Mode()
	if m.IsRegular() {
		return nil
	}
	kind := "not a regular file"
	switch {
	case m.IsDir():
		kind = "a directory"
	case m&fs.ModeNamedPipe != 0:
		kind = "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		kind = "a character device"
	case m&fs.ModeDevice != 0:
		kind = "a block device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return fmt.Errorf("%s is %s: %w", path, kind, ErrNotRegular)
}
