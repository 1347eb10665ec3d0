package capture

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
)

// ErrEmptyImage is returned for an image with no pixels.
var ErrEmptyImage = errors.New("image has no pixels")

// ErrBadImage is returned for an image whose pixel buffers do not cover its bounds, or that is
// larger than MaxPixels.
var ErrBadImage = errors.New("malformed image")

// MaxPixels is the largest frame, in pixels, the capture stage accepts (64 Mpx, above 8K).
const MaxPixels = 1 << 26

// CheckImage reports whether img can be hashed, copied and encoded safely: it has pixels, is at
// most MaxPixels, and its buffers cover its bounds. It never allocates.
func CheckImage(img image.Image) error {
	if img == nil {
		return ErrEmptyImage
	}
	r := img.Bounds()
	if r.Dx() <= 0 || r.Dy() <= 0 {
		return ErrEmptyImage
	}
	if r.Dx() > MaxPixels/r.Dy() {
		return fmt.Errorf("%w: %dx%d is over %d pixels", ErrBadImage, r.Dx(), r.Dy(), MaxPixels)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		cw, ch := chromaSize(m.SubsampleRatio, r)
		co := m.COffset(r.Min.X, r.Min.Y)
		if unknownRatio(m.SubsampleRatio) || !covers(len(m.Y), m.YStride, 1, m.YOffset(r.Min.X, r.Min.Y), r) ||
			!covers(len(m.Cb), m.CStride, 1, co, image.Rect(0, 0, cw, ch)) || !covers(len(m.Cr), m.CStride, 1, co, image.Rect(0, 0, cw, ch)) {
			return fmt.Errorf("%w: YCbCr planes (%d, %d, %d bytes, strides %d, %d) do not cover %v", ErrBadImage, len(m.Y), len(m.Cb), len(m.Cr), m.YStride, m.CStride, r)
		}
	case *image.Gray:
		if !covers(len(m.Pix), m.Stride, 1, m.PixOffset(r.Min.X, r.Min.Y), r) {
			return fmt.Errorf("%w: grey buffer of %d bytes does not cover %v", ErrBadImage, len(m.Pix), r)
		}
	case *image.RGBA:
		if !covers(len(m.Pix), m.Stride, 4, m.PixOffset(r.Min.X, r.Min.Y), r) {
			return fmt.Errorf("%w: RGBA buffer of %d bytes does not cover %v", ErrBadImage, len(m.Pix), r)
		}
	case *image.NRGBA:
		if !covers(len(m.Pix), m.Stride, 4, m.PixOffset(r.Min.X, r.Min.Y), r) {
			return fmt.Errorf("%w: NRGBA buffer of %d bytes does not cover %v", ErrBadImage, len(m.Pix), r)
		}
	}
	return nil
}

// covers reports whether a buffer of n bytes, starting at offset with the given stride, holds
// every pixel of r at bpp bytes per pixel.
func covers(n, stride, bpp, offset int, r image.Rectangle) bool {
	row := r.Dx() * bpp
	if offset < 0 || offset > n || r.Dx() <= 0 || r.Dy() <= 0 || stride < row || (r.Dy() > 1 && stride > n) {
		return false // the last test keeps the product below from overflowing
	}
	return (r.Dy()-1)*stride+row <= n-offset
}

func unknownRatio(s image.YCbCrSubsampleRatio) bool {
	return s < image.YCbCrSubsampleRatio444 || s > image.YCbCrSubsampleRatio410
}

// chromaSize is the size of the chroma planes of an r-sized YCbCr image, rounding up as the
// standard library does.
func chromaSize(s image.YCbCrSubsampleRatio, r image.Rectangle) (w, h int) {
	w, h = r.Dx(), r.Dy()
	switch s {
	case image.YCbCrSubsampleRatio422:
		w = (r.Max.X+1)/2 - r.Min.X/2
	case image.YCbCrSubsampleRatio420:
		w, h = (r.Max.X+1)/2-r.Min.X/2, (r.Max.Y+1)/2-r.Min.Y/2
	case image.YCbCrSubsampleRatio440:
		h = (r.Max.Y+1)/2 - r.Min.Y/2
	case image.YCbCrSubsampleRatio411:
		w = (r.Max.X+3)/4 - r.Min.X/4
	case image.YCbCrSubsampleRatio410:
		w, h = (r.Max.X+3)/4-r.Min.X/4, (r.Max.Y+1)/2-r.Min.Y/2
	}
	return w, h
}

// copyImage copies src, which CheckImage accepted, into dst when dst has the same type and
// geometry, or into a new image otherwise, and returns the copy. *image.YCbCr and *image.Gray
// are copied plane by plane; other types become *image.RGBA.
func copyImage(dst, src image.Image) image.Image {
	r := src.Bounds()
	switch s := src.(type) {
	case *image.YCbCr:
		d, ok := dst.(*image.YCbCr)
		if !ok || d.Rect != r || d.SubsampleRatio != s.SubsampleRatio {
			d = image.NewYCbCr(r, s.SubsampleRatio)
		}
		copyPlane(d.Y, d.YStride, s.Y[s.YOffset(r.Min.X, r.Min.Y):], s.YStride, r.Dx(), r.Dy())
		cw, ch := chromaSize(s.SubsampleRatio, r)
		co := s.COffset(r.Min.X, r.Min.Y)
		copyPlane(d.Cb, d.CStride, s.Cb[co:], s.CStride, cw, ch)
		copyPlane(d.Cr, d.CStride, s.Cr[co:], s.CStride, cw, ch)
		return d
	case *image.Gray:
		d, ok := dst.(*image.Gray)
		if !ok || d.Rect != r {
			d = image.NewGray(r)
		}
		copyPlane(d.Pix, d.Stride, s.Pix[s.PixOffset(r.Min.X, r.Min.Y):], s.Stride, r.Dx(), r.Dy())
		return d
	}
	d, ok := dst.(*image.RGBA)
	if !ok || d.Rect != r {
		d = image.NewRGBA(r)
	}
	draw.Draw(d, r, src, r.Min, draw.Src)
	return d
}

// copyPlane copies w×h bytes between planes of different strides.
func copyPlane(dst []uint8, dstStride int, src []uint8, srcStride, w, h int) {
	if dstStride == srcStride && dstStride == w {
		copy(dst[:w*h], src[:w*h])
		return
	}
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], src[y*srcStride:y*srcStride+w])
	}
}
