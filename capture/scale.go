package capture

import "image"

// scaler shrinks YCbCr and grey frames plane by plane, without converting to RGB: each plane
// is halved with a 2×2 box filter while it is more than twice the target size (so large
// reductions average every pixel instead of skipping most), then resampled bilinearly in fixed
// point. It reuses its buffers from one frame to the next and is not safe for concurrent use.
type scaler struct {
	halves   [2][]byte // ping-pong buffers for halving
	xi       []int     // per destination column: left source column
	xf       []int     // per destination column: weight of the right one, 0-256
	outYCbCr *image.YCbCr
	outGray  *image.Gray
}

// scaleYCbCr returns m scaled to w×h as 4:2:0; m passed CheckImage.
func (s *scaler) scaleYCbCr(m *image.YCbCr, w, h int) *image.YCbCr {
	r := image.Rect(0, 0, w, h)
	if s.outYCbCr == nil || s.outYCbCr.Rect != r {
		s.outYCbCr = image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	}
	out := s.outYCbCr
	b := m.Bounds()
	s.scalePlane(out.Y, out.YStride, w, h, m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride, b.Dx(), b.Dy())
	cw, ch := chromaSize(m.SubsampleRatio, b)
	dcw, dch := chromaSize(image.YCbCrSubsampleRatio420, r)
	co := m.COffset(b.Min.X, b.Min.Y)
	s.scalePlane(out.Cb, out.CStride, dcw, dch, m.Cb[co:], m.CStride, cw, ch)
	s.scalePlane(out.Cr, out.CStride, dcw, dch, m.Cr[co:], m.CStride, cw, ch)
	return out
}

// scaleGray returns m scaled to w×h; m passed CheckImage.
func (s *scaler) scaleGray(m *image.Gray, w, h int) *image.Gray {
	r := image.Rect(0, 0, w, h)
	if s.outGray == nil || s.outGray.Rect != r {
		s.outGray = image.NewGray(r)
	}
	b := m.Bounds()
	s.scalePlane(s.outGray.Pix, s.outGray.Stride, w, h, m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride, b.Dx(), b.Dy())
	return s.outGray
}

// scalePlane resamples the sw×sh plane src into the dw×dh plane dst.
func (s *scaler) scalePlane(dst []byte, dstStride, dw, dh int, src []byte, srcStride, sw, sh int) {
	for k := 0; sw >= 2*dw && sh >= 2*dh && sw >= 2 && sh >= 2; k ^= 1 {
		hw, hh := sw/2, sh/2
		if cap(s.halves[k]) < hw*hh {
			s.halves[k] = make([]byte, hw*hh)
		}
		half := s.halves[k][:hw*hh]
		halvePlane(half, hw, hh, src, srcStride)
		src, srcStride, sw, sh = half, hw, hw, hh
	}
	s.xi, s.xf = s.xi[:0], s.xf[:0]
	for x := range dw {
		i, f := sourceCoord(x, dw, sw)
		s.xi, s.xf = append(s.xi, i), append(s.xf, f)
	}
	for y := range dh {
		i, fy := sourceCoord(y, dh, sh)
		row0 := src[i*srcStride : i*srcStride+sw]
		row1 := row0
		if i+1 < sh {
			row1 = src[(i+1)*srcStride : (i+1)*srcStride+sw]
		}
		out := dst[y*dstStride : y*dstStride+dw]
		for x := range out {
			i0, fx := s.xi[x], s.xf[x]
			i1 := min(i0+1, sw-1)
			top := int(row0[i0])*(256-fx) + int(row0[i1])*fx
			bottom := int(row1[i0])*(256-fx) + int(row1[i1])*fx
			out[x] = uint8((top*(256-fy) + bottom*fy + 1<<15) >> 16)
		}
	}
}

// sourceCoord maps destination index d of n onto a source of size m, pixel centres aligned:
// the source index to the left and the weight (0-256) of the one to its right.
func sourceCoord(d, n, m int) (int, int) {
	pos := ((2*d+1)*m*256)/(2*n) - 128 // source position in 1/256 pixels
	if pos <= 0 {
		return 0, 0
	}
	i, f := pos>>8, pos&255
	if i >= m-1 {
		return m - 1, 0
	}
	return i, f
}

// halvePlane averages each 2×2 block of src into one pixel of the hw×hh plane dst.
func halvePlane(dst []byte, hw, hh int, src []byte, srcStride int) {
	for y := range hh {
		r0 := src[2*y*srcStride:]
		r1 := src[(2*y+1)*srcStride:]
		out := dst[y*hw : (y+1)*hw]
		for x := range out {
			out[x] = uint8((int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1]) + 2) >> 2)
		}
	}
}
