package capture

import (
	"bytes"
	"fmt"
	"image"

	"golang.org/x/image/draw"
)

// Prepared is a frame ready for the bus. Its JPEG is only valid until the next prepare call
// on the same preparer.
type Prepared struct {
	JPEG          []byte
	Width, Height int
}

// Prepare scales img so its long edge is at most maxEdge (0: no limit) and encodes it as JPEG at
// quality (1-100), lowering the quality until it fits in maxBytes (0: no limit). A malformed
// image is an error (ErrEmptyImage, ErrBadImage), never a panic.
func Prepare(img image.Image, maxEdge, quality, maxBytes int) (Prepared, error) {
	var p preparer
	defer p.enc.close()
	out, err := p.prepare(img, maxEdge, quality, maxBytes)
	out.JPEG = bytes.Clone(out.JPEG)
	return out, err
}

// preparer reuses its scaling and encoding buffers from one frame to the next. It is not safe
// for concurrent use.
type preparer struct {
	planes scaler      // for YCbCr and grey frames, all the sources in this package deliver
	scaled *image.RGBA // for other types
	enc    jpegEncoder
	buf    []byte
}

func (p *preparer) prepare(img image.Image, maxEdge, quality, maxBytes int) (Prepared, error) {
	return p.prepareOwned(img, false, maxEdge, quality, maxBytes)
}

// prepareOwned is prepare for an image the caller owns and no longer needs: when limited, its
// limited-range YCbCr is expanded to full range, in the scaled copy or else in img itself.
func (p *preparer) prepareOwned(img image.Image, limited bool, maxEdge, quality, maxBytes int) (Prepared, error) {
	if err := CheckImage(img); err != nil {
		return Prepared{}, err
	}
	quality = min(100, max(1, quality))
	r := img.Bounds()
	if w, h := scaledSize(r.Dx(), r.Dy(), maxEdge); w != r.Dx() || h != r.Dy() {
		switch m := img.(type) {
		case *image.YCbCr:
			img = p.planes.scaleYCbCr(m, w, h)
		case *image.Gray:
			img = p.planes.scaleGray(m, w, h)
		default:
			if p.scaled == nil || p.scaled.Rect.Dx() != w || p.scaled.Rect.Dy() != h {
				p.scaled = image.NewRGBA(image.Rect(0, 0, w, h))
			}
			draw.ApproxBiLinear.Scale(p.scaled, p.scaled.Rect, img, r, draw.Src, nil)
			img = p.scaled
		}
	}
	if limited {
		expandRange(img)
	}
	for q := quality; ; q = max(5, q-15) {
		var err error
		if p.buf, err = p.enc.encodeJPEG(p.buf[:0], img, q); err != nil {
			return Prepared{}, err
		}
		if maxBytes <= 0 || len(p.buf) <= maxBytes {
			break
		}
		if q == 5 {
			return Prepared{}, fmt.Errorf("JPEG of %d bytes at the lowest quality exceeds %d bytes: lower --max-edge", len(p.buf), maxBytes)
		}
	}
	b := img.Bounds()
	return Prepared{JPEG: p.buf, Width: b.Dx(), Height: b.Dy()}, nil
}

// scaledSize fits w×h inside maxEdge on its long edge, keeping the aspect ratio.
func scaledSize(w, h, maxEdge int) (int, int) {
	long := max(w, h)
	if maxEdge <= 0 || long <= maxEdge {
		return w, h
	}
	return max(1, w*maxEdge/long), max(1, h*maxEdge/long)
}
