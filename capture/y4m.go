package capture

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"strconv"
	"strings"
)

// ErrBadStream is returned for a YUV4MPEG2 stream that cannot be decoded.
var ErrBadStream = errors.New("bad YUV4MPEG2 stream")

// maxY4MLine bounds the stream and frame header lines.
const maxY4MLine = 1024

// y4mReader decodes a YUV4MPEG2 stream, the raw-video format ffmpeg writes with
// `-f yuv4mpegpipe`: a header line with the size and chroma layout, then frames of planar
// 8-bit pixels, each after a "FRAME" line. Frames are read straight into the image's planes.
type y4mReader struct {
	r *bufio.Reader
	// direct, when the stream's reader has one, reads the planes past what r holds in one
	// call each (see framePipe); nil: io.ReadFull on r.
	direct fullReader
	rest   [3][]byte // the planes' parts direct reads
	width  int
	height int
	ratio  image.YCbCrSubsampleRatio
	mono   bool    // Cmono: luma only
	fps    float64 // 0 when the header does not say
	// limited is set when the header says XCOLORRANGE=LIMITED. Without the tag the frames are
	// taken as full range: that is what the ffmpeg sources ask for, and ffmpeg tags its
	// output's range when it knows it.
	limited bool
	img     image.Image // the image the next frame is read into
}

// fullReader fills bufs, in order, or fails: io.EOF before the first byte,
// io.ErrUnexpectedEOF after it.
type fullReader interface {
	readFull(bufs ...[]byte) (int, error)
}

// frameConn is the reading end of the channel from ffmpeg (framePipe): Read for the stream's
// and frames' header lines, readFull for the planes.
type frameConn interface {
	io.ReadCloser
	fullReader
}

// newY4MReader reads the stream header. When r is a fullReader, planes are read with it, and
// r's buffer only holds header lines (and the first bytes of the frame that follows one).
func newY4MReader(r io.Reader) (*y4mReader, error) {
	size := 64 << 10
	direct, ok := r.(fullReader)
	if ok {
		size = 4 << 10 // more than a header line (maxY4MLine): what it holds of a plane is copied once more
	}
	br := bufio.NewReaderSize(r, size)
	raw, err := readLine(br)
	line := string(raw)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%w: no complete header: %w", ErrBadStream, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != "YUV4MPEG2" {
		return nil, fmt.Errorf("%w: header %.40q does not start with YUV4MPEG2", ErrBadStream, line)
	}
	y := &y4mReader{r: br, direct: direct, ratio: image.YCbCrSubsampleRatio420}
	for _, f := range fields[1:] {
		tag, val := f[0], f[1:]
		switch tag {
		case 'W':
			y.width, err = strconv.Atoi(val)
		case 'H':
			y.height, err = strconv.Atoi(val)
		case 'F':
			num, den, ok := strings.Cut(val, ":")
			n, err1 := strconv.Atoi(num)
			d, err2 := strconv.Atoi(den)
			if ok && err1 == nil && err2 == nil && n > 0 && d > 0 {
				y.fps = float64(n) / float64(d)
			}
		case 'X':
			switch val {
			case "COLORRANGE=LIMITED":
				y.limited = true
			case "COLORRANGE=FULL":
				y.limited = false
			}
		case 'C':
			switch {
			case val == "mono":
				y.mono = true
			case val == "420" || val == "420jpeg" || val == "420mpeg2" || val == "420paldv":
				y.ratio = image.YCbCrSubsampleRatio420
			case val == "422":
				y.ratio = image.YCbCrSubsampleRatio422
			case val == "444":
				y.ratio = image.YCbCrSubsampleRatio444
			default:
				return nil, fmt.Errorf("%w: colour space %q is not 8-bit 4:2:0, 4:2:2, 4:4:4 or mono (ask ffmpeg for -pix_fmt yuv420p)", ErrBadStream, val)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: header field %q: %w", ErrBadStream, f, err)
		}
	}
	if y.width <= 0 || y.height <= 0 || y.width > MaxPixels/y.height {
		return nil, fmt.Errorf("%w: frame size %dx%d", ErrBadStream, y.width, y.height)
	}
	return y, nil
}

// readLine reads one line without its newline, at most maxY4MLine bytes. The line is only
// valid until the next read from r.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n') // a short line, the usual case, is not copied
	if err == nil {
		return line[:len(line)-1], nil
	}
	line = bytes.Clone(line)
	for errors.Is(err, bufio.ErrBufferFull) && len(line) <= maxY4MLine {
		var chunk []byte
		chunk, err = r.ReadSlice('\n')
		line = append(line, chunk...)
	}
	switch {
	case len(line) > maxY4MLine:
		return nil, fmt.Errorf("%w: header line longer than %d bytes", ErrBadStream, maxY4MLine)
	case err == nil:
		return line[:len(line)-1], nil
	case errors.Is(err, io.EOF) && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	}
	return nil, err
}

// frame returns the image frames are read into, allocating it on first use: *image.YCbCr, or
// *image.Gray for mono streams.
func (y *y4mReader) frame() image.Image {
	if y.img == nil {
		y.img = y.newFrame()
	}
	return y.img
}

// newFrame allocates an image of the stream's geometry, its planes back to back in one buffer.
func (y *y4mReader) newFrame() image.Image {
	r := image.Rect(0, 0, y.width, y.height)
	if y.mono {
		return image.NewGray(r)
	}
	cw, ch := chromaSize(y.ratio, r)
	ys, cs := y.width*y.height, cw*ch
	buf := make([]byte, ys+2*cs)
	return &image.YCbCr{
		Y: buf[:ys:ys], Cb: buf[ys : ys+cs : ys+cs], Cr: buf[ys+cs:],
		YStride: y.width, CStride: cw, SubsampleRatio: y.ratio, Rect: r,
	}
}

// fits reports whether frames can be read into img: the stream's type and geometry, planes
// of exactly one frame's rows.
func (y *y4mReader) fits(img image.Image) bool {
	r := image.Rect(0, 0, y.width, y.height)
	switch m := img.(type) {
	case *image.Gray:
		return y.mono && m.Rect == r && m.Stride == y.width && len(m.Pix) == y.width*y.height
	case *image.YCbCr:
		cw, ch := chromaSize(y.ratio, r)
		return !y.mono && m.Rect == r && m.SubsampleRatio == y.ratio && m.YStride == y.width && m.CStride == cw &&
			len(m.Y) == y.width*y.height && len(m.Cb) == cw*ch && len(m.Cr) == cw*ch
	}
	return false
}

// keep hands over the frame next returned last, so it need not be copied to be kept, and reads
// the following frames into spare (an image keep returned before and its holder no longer
// needs), or into a new image when spare is nil or does not fit.
func (y *y4mReader) keep(spare image.Image) image.Image {
	kept := y.frame()
	if spare != nil && spare != kept && y.fits(spare) {
		y.img = spare
	} else {
		y.img = y.newFrame()
	}
	return kept
}

// next reads the next frame and returns it; the image is overwritten by the following call
// unless keep took it. It returns io.EOF at the end of the stream and io.ErrUnexpectedEOF for
// a truncated frame.
func (y *y4mReader) next() (image.Image, error) {
	line, err := readLine(y.r)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(line, []byte("FRAME")) {
		return nil, fmt.Errorf("%w: frame header %.40q", ErrBadStream, line)
	}
	img := y.frame()
	var planes [3][]byte
	switch m := img.(type) {
	case *image.Gray:
		planes[0] = m.Pix
	case *image.YCbCr:
		planes = [3][]byte{m.Y, m.Cb, m.Cr}
	}
	if err := y.readPlanes(planes[:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return img, nil
}

// readPlanes fills the planes (nil ones are skipped): first from what r holds, then, past
// that, with direct in one call when there is one.
func (y *y4mReader) readPlanes(planes [][]byte) error {
	if y.direct == nil {
		for _, p := range planes {
			if _, err := io.ReadFull(y.r, p); err != nil {
				return err
			}
		}
		return nil
	}
	rest := y.rest[:0] // a field: a local array would escape to the heap through the interface call
	defer clear(y.rest[:])
	for _, p := range planes {
		if b := y.r.Buffered(); b > 0 && len(p) > 0 {
			n, _ := y.r.Read(p[:min(b, len(p))]) // only copies from the buffer: it holds b bytes
			p = p[n:]
		}
		if len(p) > 0 {
			rest = append(rest, p)
		}
	}
	if len(rest) == 0 {
		return nil
	}
	_, err := y.direct.readFull(rest...)
	return err
}
