package capture

import "image"

// Colour range. JPEG (JFIF), which the model gets, is full-range BT.601 YCbCr: black is luma 0,
// white 255. Video is usually limited range ("studio swing"): luma 16-235, chroma 16-240.
// Frames in limited range are expanded to full range before they are encoded, or a black room
// reaches the model as dark grey (16) and white as light grey (235).

// rangeReporter is implemented by sources that know their frames are limited-range YCbCr.
type rangeReporter interface {
	// LimitedRange reports whether the frames are limited-range (video) YCbCr.
	LimitedRange() bool
}

// limitedRange reports whether src says its frames are limited range.
func limitedRange(src Source) bool {
	r, ok := src.(rangeReporter)
	return ok && r.LimitedRange()
}

// lumaFull and chromaFull map limited-range luma (16-235) and chroma (16-240, centred on 128)
// to full range (0-255), rounding and clamping what lies outside.
var lumaFull, chromaFull = func() (l, c [256]uint8) {
	for i := range 256 {
		l[i] = clamp8((float64(i)-16)*255/219 + 0.5)
		c[i] = clamp8((float64(i)-128)*255/224 + 128.5)
	}
	return l, c
}()

func clamp8(v float64) uint8 {
	return uint8(min(255, max(0, v)))
}

// expandRange converts img, limited-range YCbCr or grey, to full range in place. Other images
// are left as they are.
func expandRange(img image.Image) {
	switch m := img.(type) {
	case *image.YCbCr:
		mapPlane(m.Y, &lumaFull)
		mapPlane(m.Cb, &chromaFull)
		mapPlane(m.Cr, &chromaFull)
	case *image.Gray:
		mapPlane(m.Pix, &lumaFull)
	}
}

func mapPlane(p []uint8, lut *[256]uint8) {
	for i, v := range p {
		p[i] = lut[v]
	}
}
