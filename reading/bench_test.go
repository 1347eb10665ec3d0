//go:build cgo

package reading

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// benchFrames are the frames the benchmarks read: a sign, three lines of small text, a textured
// wall without text and a sign turned by 30°, each 1024×576 like capture's frames.
var benchFrames = map[string]scene{
	"sign":   evalText[0],
	"page":   evalText[15],
	"notext": evalNoText[3],
	"turned": {Lines: []string{"Fire door keep shut"}, Size: 40, Angle: 30},
}

// BenchmarkRead is the time to read one 1024-pixel frame through the library (cgo), the
// model loaded once: decode, grey plane, contrast, recognition, filters.
func BenchmarkRead(b *testing.B) {
	r, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	for _, name := range []string{"sign", "page", "notext"} {
		f := bus.Frame{ID: "f", Camera: "bench", JPEG: render(b, benchFrames[name])}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := r.Read(context.Background(), f, time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCommand is the same frames read by the `tesseract` command, the way a reader without
// cgo would: the prepared grey plane as a PGM on stdin, words as TSV on stdout. Each run starts
// the program and loads the model again.
func BenchmarkCommand(b *testing.B) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		b.Skip("no tesseract command")
	}
	for _, name := range []string{"sign", "page", "notext"} {
		g, err := decodeGrey(render(b, benchFrames[name]))
		if err != nil {
			b.Fatal(err)
		}
		p := prepare(g, DefaultUpscaleBelow).img
		var pgm bytes.Buffer
		fmt.Fprintf(&pgm, "P5\n%d %d\n255\n", p.Rect.Dx(), p.Rect.Dy())
		pgm.Write(p.Pix)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command("tesseract", "stdin", "stdout", "-c", "thresholding_method=1", "tsv")
				cmd.Stdin = bytes.NewReader(pgm.Bytes())
				cmd.Env = append(cmd.Environ(), "OMP_THREAD_LIMIT=1")
				if out, err := cmd.Output(); err != nil || len(out) == 0 {
					b.Fatalf("tesseract: %v", err)
				}
			}
		})
	}
}

// BenchmarkTurned is the cost of looking for turned text in a 1024-pixel frame that gave no
// text: the skew from its edges, Tesseract's orientation detection, and turning it.
func BenchmarkTurned(b *testing.B) {
	r, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	for _, name := range []string{"turned", "notext"} {
		s := benchFrames[name]
		g, err := decodeGrey(render(b, s))
		if err != nil {
			b.Fatal(err)
		}
		p := prepare(g, DefaultUpscaleBelow).img
		b.Run("skew/"+name, func(b *testing.B) {
			for b.Loop() {
				skew(p)
			}
		})
		b.Run("orientation/"+name, func(b *testing.B) {
			for b.Loop() {
				r.engine.orientation(p)
			}
		})
		b.Run("turn/"+name, func(b *testing.B) {
			for b.Loop() {
				turn(p, 30)
			}
		})
	}
}
