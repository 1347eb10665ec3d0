package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"testing"
	"time"
)

// sockStream is a 4:2:0 stream of n frames of w×h whose planes are filled with patterns that
// differ from frame to frame and plane to plane, and the planes it holds, in order.
func sockStream(w, h, n int) ([]byte, [][]byte) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL\n", w, h)
	cw, ch := (w+1)/2, (h+1)/2
	var planes [][]byte
	for f := range n {
		b.WriteString("FRAME\n")
		for p, size := range []int{w * h, cw * ch, cw * ch} {
			plane := make([]byte, size)
			for i := range plane {
				plane[i] = byte(i*7 + f*31 + p*101)
			}
			planes = append(planes, plane)
			b.Write(plane)
		}
	}
	return b.Bytes(), planes
}

// TestFramePipeFrames: frames written into framePipe's writing end the way ffmpeg writes them
// (32 KiB at a time, the frame header in the same write as the plane's first bytes) are read
// whole and in order, planes read past the reader's buffer included; the end of the stream is
// io.EOF, a truncated frame io.ErrUnexpectedEOF.
func TestFramePipeFrames(t *testing.T) {
	for _, tc := range []struct {
		name     string
		w, h, n  int
		truncate int // bytes cut from the end
	}{
		{"720p", 1280, 720, 3, 0},
		{"small frames, several per write", 64, 36, 20, 0},
		{"odd size", 33, 17, 4, 0},
		{"truncated in the last plane", 320, 180, 2, 100},
		{"truncated in the frame header", 320, 180, 2, 320*180*3/2 + 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stream, planes := sockStream(tc.w, tc.h, tc.n)
			stream = stream[:len(stream)-tc.truncate]
			r, w, err := framePipe()
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = r.Close() }()
			wrote := make(chan error, 1)
			go func() {
				defer func() { _ = w.Close() }()
				for rest := stream; len(rest) > 0; {
					n := min(len(rest), 32<<10)
					if _, err := w.Write(rest[:n]); err != nil {
						wrote <- err
						return
					}
					rest = rest[n:]
				}
				wrote <- nil
			}()
			y, err := newY4MReader(r)
			if err != nil {
				t.Fatal(err)
			}
			frames := 0
			for {
				img, err := y.next()
				if err != nil {
					want := io.EOF
					if tc.truncate > 0 {
						want = io.ErrUnexpectedEOF
					}
					if !errors.Is(err, want) {
						t.Fatalf("after %d frames: %v, want %v", frames, err, want)
					}
					break
				}
				m := img.(*image.YCbCr)
				for p, got := range [][]byte{m.Y, m.Cb, m.Cr} {
					if !bytes.Equal(got, planes[3*frames+p]) {
						t.Fatalf("frame %d plane %d differs from what was written", frames, p)
					}
				}
				frames++
			}
			if want := tc.n - min(tc.truncate, 1); frames != want {
				t.Errorf("read %d whole frames, want %d", frames, want)
			}
			if err := <-wrote; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFramePipeCloseWakesReader: a read waiting for a frame that does not come returns when
// the reading end is closed (the source's Close while ffmpeg still runs), and Close may be
// called again.
func TestFramePipeCloseWakesReader(t *testing.T) {
	r, w, err := framePipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Close() }()
	if _, err := w.Write([]byte("abc")); err != nil { // a plane started, never finished
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.readFull(make([]byte, 1<<20), make([]byte, 10))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the read block (if it has not yet, it fails at once)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the read of a frame never written succeeded")
		}
	case <-time.After(time.Minute):
		t.Fatal("the read still waits a minute after Close")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
