package capture

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// BenchmarkCapturePerFrame720p is what the capture stage's reading goroutine spends on each
// frame of a 1280×720 source: reading it from ffmpeg's YUV4MPEG2 stream (from memory here, the
// pipe's copy excluded), checking it, hashing it and gating it. "static" is a noisy unchanged
// scene, the usual case; "changing" alternates two scenes, so every frame is also copied to
// wait for the encoder. At 30 fps the budget per frame is 33 ms.
func BenchmarkCapturePerFrame720p(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	a := noisy(scene(beige, 1280, 720, demoBox{image.Rect(1, 3, 5, 8), red}), 4, rng)
	c := noisy(scene(green, 1280, 720, demoBox{image.Rect(6, 2, 10, 7), purple}), 4, rng)
	for _, bc := range []struct {
		name   string
		frames []*image.YCbCr
	}{{"static", []*image.YCbCr{a, noisy(a, 4, rng)}}, {"changing", []*image.YCbCr{a, c}}} {
		b.Run(bc.name, func(b *testing.B) {
			header, body := y4mStream(bc.frames...)
			y, err := newY4MReader(io.MultiReader(bytes.NewReader(header), &endless{data: body}))
			if err != nil {
				b.Fatal(err)
			}
			s := newSampler(Gate{}, 0, 0, bus.NewCounters())
			t0 := time.Now()
			b.SetBytes(int64(1280 * 720 * 3 / 2))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				img, err := y.next()
				if err != nil {
					b.Fatal(err)
				}
				if err := CheckImage(img); err != nil {
					b.Fatal(err)
				}
				now := t0.Add(time.Duration(i) * time.Second / 30)
				s.offer(img, now)
				if smp, _, _ := s.take(now); smp != nil {
					s.sent(smp, now, true) // the encoder's share is BenchmarkPrepare
				}
				i++
			}
		})
	}
}

// y4mStream encodes frames as a YUV4MPEG2 stream, as ffmpeg writes it: the header, and the
// frames.
func y4mStream(frames ...*image.YCbCr) (header, body []byte) {
	r := frames[0].Rect
	header = fmt.Appendf(nil, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\n", r.Dx(), r.Dy())
	var buf bytes.Buffer
	for _, f := range frames {
		buf.WriteString("FRAME\n")
		buf.Write(f.Y)
		buf.Write(f.Cb)
		buf.Write(f.Cr)
	}
	return header, buf.Bytes()
}

// endless reads data over and over.
type endless struct {
	data []byte
	off  int
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.data[e.off:])
	e.off = (e.off + n) % len(e.data)
	return n, nil
}

// BenchmarkPrepare is the encoder's cost per frame sent: scale to a 1024-pixel long edge and
// encode as JPEG at quality 80, from 720p and 1080p camera frames.
func BenchmarkPrepare(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, size := range []image.Point{{1280, 720}, {1920, 1080}} {
		img := noisy(scene(beige, size.X, size.Y, demoBox{image.Rect(1, 3, 5, 8), red}, demoBox{image.Rect(11, 2, 15, 8), blue}), 4, rng)
		b.Run(fmt.Sprintf("%dx%d_to_1024", size.X, size.Y), func(b *testing.B) {
			var p preparer
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.prepare(img, 1024, 80, bus.MaxPayload-4096); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
