package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// ycbcrFrom builds a w×h YCbCr image whose planes are cut from data, possibly too short.
func ycbcrFrom(w, h int, ratio image.YCbCrSubsampleRatio, data []byte) *image.YCbCr {
	r := image.Rect(0, 0, w, h)
	cw, ch := chromaSize(ratio, r)
	take := func(n int) []byte {
		n = max(0, min(n, len(data)))
		p := data[:n]
		data = data[n:]
		return p
	}
	return &image.YCbCr{Y: take(w * h), Cb: take(cw * ch), Cr: take(cw * ch), YStride: w, CStride: cw, SubsampleRatio: ratio, Rect: r}
}

// imageCases are the sizes the hash and frame preparation must survive; they seed the fuzzers.
var imageCases = []struct {
	w, h  int
	ratio image.YCbCrSubsampleRatio
	short int // bytes missing from the end
}{
	{1, 1, image.YCbCrSubsampleRatio420, 0},
	{1, 1, image.YCbCrSubsampleRatio444, 0},
	{3, 1, image.YCbCrSubsampleRatio420, 0},
	{1, 3, image.YCbCrSubsampleRatio422, 0},
	{7, 5, image.YCbCrSubsampleRatio420, 0},
	{641, 3, image.YCbCrSubsampleRatio420, 0},
	{33, 17, image.YCbCrSubsampleRatio410, 0},
	{64, 36, image.YCbCrSubsampleRatio420, 1},   // truncated by one byte
	{64, 36, image.YCbCrSubsampleRatio420, 900}, // truncated into the chroma planes
	{64, 36, image.YCbCrSubsampleRatio420, 3000},
	{0, 5, image.YCbCrSubsampleRatio420, 0},
	{9000, 9000, image.YCbCrSubsampleRatio420, 0}, // huge: over MaxPixels
}

func fullSize(w, h int, ratio image.YCbCrSubsampleRatio) int {
	cw, ch := chromaSize(ratio, image.Rect(0, 0, w, h))
	return w*h + 2*cw*ch
}

func TestImageCases(t *testing.T) {
	for _, c := range imageCases {
		t.Run(fmt.Sprintf("%dx%d-%v-short%d", c.w, c.h, c.ratio, c.short), func(t *testing.T) {
			n := 0
			if c.w*c.h <= 1<<20 {
				n = max(0, fullSize(c.w, c.h, c.ratio)-c.short)
			}
			img := ycbcrFrom(c.w, c.h, c.ratio, make([]byte, n))
			err := CheckImage(img)
			wantOK := c.w > 0 && c.h > 0 && c.short == 0 && c.w*c.h <= MaxPixels
			if (err == nil) != wantOK {
				t.Fatalf("CheckImage = %v, want ok %v", err, wantOK)
			}
			Sign(img) // never panics
			p, err := Prepare(img, 32, 80, 0)
			if wantOK {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				if _, err := jpeg.Decode(bytes.NewReader(p.JPEG)); err != nil {
					t.Fatalf("Prepare made a bad JPEG: %v", err)
				}
				if max(p.Width, p.Height) > 32 || p.Width < 1 || p.Height < 1 {
					t.Fatalf("prepared %dx%d, want long edge ≤ 32", p.Width, p.Height)
				}
			} else if !errors.Is(err, ErrBadImage) && !errors.Is(err, ErrEmptyImage) {
				t.Fatalf("Prepare of a malformed image: %v, want ErrBadImage or ErrEmptyImage", err)
			}
		})
	}
}

func FuzzSignAndPrepare(f *testing.F) {
	for _, c := range imageCases {
		if c.w*c.h <= 1<<16 {
			f.Add(uint16(c.w), uint16(c.h), uint8(c.ratio), uint16(200), make([]byte, max(0, fullSize(c.w, c.h, c.ratio)-c.short)))
		}
	}
	f.Fuzz(func(t *testing.T, w, h uint16, ratio uint8, maxEdge uint16, data []byte) {
		img := ycbcrFrom(int(w)%300, int(h)%300, image.YCbCrSubsampleRatio(ratio%8), data)
		s := Sign(img)
		err := CheckImage(img)
		if err != nil && s != (Signature{}) {
			t.Fatalf("malformed image (%v) signed %+v", err, s)
		}
		p, perr := Prepare(img, int(maxEdge)%400, 75, 0)
		if (err == nil) != (perr == nil) {
			t.Fatalf("CheckImage %v but Prepare %v", err, perr)
		}
		if perr == nil && (p.Width < 1 || p.Height < 1) {
			t.Fatalf("prepared %dx%d", p.Width, p.Height)
		}
		if err == nil {
			copyImage(nil, img) // copying a checked image never panics
		}
	})
}

// y4mCases seed the stream decoder: good streams, truncated ones and garbage.
var y4mCases = []string{
	"YUV4MPEG2 W2 H2 F15:1 Ip A1:1 C420jpeg\nFRAME\nYYYYUV",
	"YUV4MPEG2 W2 H2 C420jpeg\nFRAME\nYYYYUVFRAME\nYYYYUV",
	"YUV4MPEG2 W3 H1 C444\nFRAME\nYYYUUUVVV",
	"YUV4MPEG2 W3 H3 Cmono\nFRAME\nYYYYYYYYY",
	"YUV4MPEG2 W2 H2 C420jpeg\nFRAME\nYYY",                // truncated frame
	"YUV4MPEG2 W2 H2 C420jpeg\nFRAME",                     // truncated frame header
	"YUV4MPEG2 W2 H2 C420jpeg\nFRAME\nYYYYUVJUNK\nYYYYUV", // bad frame header
	"YUV4MPEG2 W2 H2",                  // truncated stream header
	"YUV4MPEG2 W0 H2\n",                // no pixels
	"YUV4MPEG2 W99999 H99999\n",        // huge
	"YUV4MPEG2 W-4 H2\n",               // negative
	"YUV4MPEG2 W2 H2 C420p10\nFRAME\n", // 10-bit
	"YUV4MPEG2 Wx H2\n",                // not a number
	"RIFF....AVI LIST",                 // not y4m
	"",                                 // nothing
	"YUV4MPEG2 W2 H2 F0:0 C422\nFRAME Ixx\nYYYYUUVV", // odd parameters
	"YUV4MPEG2 W2 H2 C420jpeg XCOLORRANGE=LIMITED\nFRAME\nYYYYUV",
	"YUV4MPEG2 W2 H2 C420jpeg XCOLORRANGE=FULL XYSCSS=420JPEG X\nFRAME\nYYYYUV",
}

func TestY4MCases(t *testing.T) {
	want := []int{1, 2, 1, 1, 0, 0, 1, -1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1} // frames, -1: bad header
	for i, c := range y4mCases {
		frames, err := readAllY4M([]byte(c))
		if want[i] < 0 {
			if !errors.Is(err, ErrBadStream) {
				t.Errorf("case %d %q: header accepted (%v), want ErrBadStream", i, c, err)
			}
			continue
		}
		if frames != want[i] {
			t.Errorf("case %d %q: %d frames (%v), want %d", i, c, frames, err, want[i])
		}
	}
}

// readAllY4M decodes every frame of data and checks each one can be used.
func readAllY4M(data []byte) (int, error) {
	y, err := newY4MReader(bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	var spare image.Image
	for n := 0; ; n++ {
		img, err := y.next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := CheckImage(img); err != nil {
			return n, fmt.Errorf("decoded frame unusable: %w", err)
		}
		Sign(img)
		if n%2 == 1 { // keep every other frame, handing the one kept before back as the spare
			spare = y.keep(spare)
			if err := CheckImage(spare); err != nil {
				return n, fmt.Errorf("kept frame unusable: %w", err)
			}
		}
	}
}

func FuzzY4M(f *testing.F) {
	for _, c := range y4mCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := readAllY4M(data); err != nil && errors.Is(err, ErrBadImage) {
			t.Fatal(err)
		}
	})
}

func TestHugeFrame(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 7680, 4320), image.YCbCrSubsampleRatio420) // 8K
	for i := range img.Y {
		img.Y[i] = uint8(i / 7680 / 17)
	}
	if s := Sign(img); s.Hash != 0 || s.Luma == 0 {
		t.Errorf("8K vertical gradient signed %+v: want no horizontal gradient bits and a mean luma", s.Hash)
	}
	p, err := Prepare(img, 1024, 80, bus.MaxPayload-4096)
	if err != nil || p.Width != 1024 || p.Height != 576 {
		t.Fatalf("Prepare 8K: %dx%d, %v; want 1024x576", p.Width, p.Height, err)
	}
}

func TestSubImages(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio410} {
		img := scene(beige, 64, 48, demoBox{image.Rect(1, 3, 5, 8), red})
		full := image.NewYCbCr(img.Rect, ratio)
		for y := range 48 {
			for x := range 64 {
				c := img.YCbCrAt(x, y)
				full.Y[full.YOffset(x, y)], full.Cb[full.COffset(x, y)], full.Cr[full.COffset(x, y)] = c.Y, c.Cb, c.Cr
			}
		}
		sub := full.SubImage(image.Rect(3, 5, 50, 40)).(*image.YCbCr)
		cp := copyImage(nil, sub)
		if Sign(sub) != Sign(cp) {
			t.Errorf("%v: a sub-image and its copy sign differently", ratio)
		}
		for _, edge := range []int{16, 0} {
			p, err := Prepare(sub, edge, 80, 0)
			if err != nil {
				t.Fatalf("%v: Prepare of a sub-image: %v", ratio, err)
			}
			if want := max(47, 35); edge == 0 && max(p.Width, p.Height) != want || edge == 16 && max(p.Width, p.Height) != 16 {
				t.Errorf("%v edge %d: prepared %dx%d", ratio, edge, p.Width, p.Height)
			}
		}
	}
}

// TestY4MKeepHandsOverFrames: a kept frame keeps its pixels while later frames are read, the
// spare handed back is read into (no new buffer), and a spare of another size is not used.
func TestY4MKeepHandsOverFrames(t *testing.T) {
	stream := "YUV4MPEG2 W2 H2 C420jpeg\n" + "FRAME\nAAAAaa" + "FRAME\nBBBBbb" + "FRAME\nCCCCcc" + "FRAME\nDDDDdd"
	y, err := newY4MReader(bytes.NewReader([]byte(stream)))
	if err != nil {
		t.Fatal(err)
	}
	luma := func(img image.Image) byte { return img.(*image.YCbCr).Y[3] }
	if _, err := y.next(); err != nil {
		t.Fatal(err)
	}
	a := y.keep(nil)
	b, err := y.next()
	if err != nil {
		t.Fatal(err)
	}
	if luma(a) != 'A' || luma(b) != 'B' || a == b {
		t.Fatalf("kept %q, then read %q into the same image: %v", luma(a), luma(b), a == b)
	}
	kb := y.keep(a) // a is free again: the next frame goes into it
	if kb != b {
		t.Fatal("keep did not hand over the frame read last")
	}
	c, err := y.next()
	if err != nil {
		t.Fatal(err)
	}
	if c != a || luma(c) != 'C' || luma(kb) != 'B' {
		t.Fatalf("spare not reused (%v) or pixels wrong: read %q, kept %q", c == a, luma(c), luma(kb))
	}
	wrong := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	y.keep(wrong)
	d, err := y.next()
	if err != nil {
		t.Fatal(err)
	}
	if d == image.Image(wrong) || luma(d) != 'D' || d.Bounds().Dx() != 2 {
		t.Fatalf("a spare of the wrong size was read into: %v", d.Bounds())
	}
}
