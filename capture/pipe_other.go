//go:build !linux

package capture

import (
	"io"
	"os"
)

// framePipe returns the ends of the pipe ffmpeg writes frames into; w is ffmpeg's stdout.
func framePipe() (frameConn, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return pipeConn{r}, w, nil
}

// pipeConn reads a pipe; readFull is io.ReadFull on each buffer.
type pipeConn struct{ *os.File }

func (c pipeConn) readFull(bufs ...[]byte) (int, error) {
	got := 0
	for _, b := range bufs {
		n, err := io.ReadFull(c.File, b)
		got += n
		if err != nil {
			if got > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return got, err
		}
	}
	return got, nil
}
