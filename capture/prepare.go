package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// ErrEmptyImage is returned for an image with no pixels.
var ErrEmptyImage = errors.New("image has no pixels")

// Prepared is a frame ready for the bus.
type Prepared struct {
	JPEG          []byte
	Width, Height int
}

// Prepare scales img so its long edge is at most maxEdge (0: no limit) and encodes it as JPEG at
// quality (1-100), lowering the quality until it fits in maxBytes.
func Prepare(img image.Image, maxEdge, quality, maxBytes int) (Prepared, error) {
	r := img.Bounds()
	if r.Dx() <= 0 || r.Dy() <= 0 {
		return Prepared{}, ErrEmptyImage
	}
	if w, h := scaledSize(r.Dx(), r.Dy(), maxEdge); w != r.Dx() || h != r.Dy() {
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, r, draw.Src, nil)
		img = dst
	}
	var buf bytes.Buffer
	for q := quality; ; q -= 15 {
		if q < 5 {
			q = 5
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
			return Prepared{}, fmt.Errorf("encode JPEG: %w", err)
		}
		if buf.Len() <= maxBytes || maxBytes <= 0 {
			break
		}
		if q == 5 {
			return Prepared{}, fmt.Errorf("JPEG of %d bytes at the lowest quality exceeds %d bytes: lower --max-edge", buf.Len(), maxBytes)
		}
	}
	b := img.Bounds()
	return Prepared{JPEG: buf.Bytes(), Width: b.Dx(), Height: b.Dy()}, nil
}

// scaledSize fits w×h inside maxEdge on its long edge, keeping the aspect ratio.
func scaledSize(w, h, maxEdge int) (int, int) {
	long := max(w, h)
	if maxEdge <= 0 || long <= maxEdge {
		return w, h
	}
	return max(1, w*maxEdge/long), max(1, h*maxEdge/long)
}
