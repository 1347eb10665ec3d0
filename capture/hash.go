package capture

import (
	"image"
	"image/color"
	"math/bits"
)

// Signature is a frame's perceptual fingerprint, computed from a sparse grid of samples:
//   - Hash, a 64-bit difference hash (dHash) of the luma plane: insensitive to noise and to
//     the overall brightness, it changes when the picture's structure does;
//   - Luma, the mean luma, which catches what dHash by design cannot (the lights going off);
//   - Cb and Cr, the mean chroma, which catch a recoloured scene of the same brightness;
//   - Cells, CellsCb and CellsCr, the mean luma and chroma of each of the 9×8 cells the hash
//     compares, which catch a small object appearing even where it flips too few hash bits or
//     has the brightness of what it covers.
//
// A Signature is a value (no pointers), so computing and comparing one never allocates.
type Signature struct {
	Hash   uint64           // dHash: bit (row*8+col) is set when cell col is brighter than cell col+1
	Luma   uint8            // mean luma, 0-255
	Cb, Cr uint8            // mean chroma, 128 for grey images
	Cells  [cellCount]uint8 // mean luma of each cell, row by row
	// CellsCb and CellsCr are the mean chroma of each cell, 128 for grey images.
	CellsCb, CellsCr [cellCount]uint8
}

const (
	hashRows  = 8
	hashCols  = 9 // one more than the bits per row: each bit compares neighbouring cells
	cellCount = hashRows * hashCols
)

// hashDeadZone is how much brighter (in mean luma levels) a cell must be than its right
// neighbour to set its bit; it keeps flat areas from flipping bits on sensor noise.
const hashDeadZone = 3

// samplesPerCell is the side of the grid of luma samples averaged per cell. Sampling keeps the
// cost independent of resolution: 72 cells × 64 samples = 4,608 reads per frame.
const samplesPerCell = 8

// chromaSamplesPerCell is the side of the grid of chroma samples averaged per cell.
const chromaSamplesPerCell = 4

// Distance is how many hash bits differ between two signatures.
func (s Signature) Distance(o Signature) int { return bits.OnesCount64(s.Hash ^ o.Hash) }

// LumaDelta is the absolute difference of the mean lumas.
func (s Signature) LumaDelta(o Signature) int { return absDiff(s.Luma, o.Luma) }

// ChromaDelta is the sum of the absolute differences of the mean chromas.
func (s Signature) ChromaDelta(o Signature) int { return absDiff(s.Cb, o.Cb) + absDiff(s.Cr, o.Cr) }

// cellDelta is how far cell i moved from o, in luma and chroma levels summed, beyond the whole
// frame's shift.
func (s Signature) cellDelta(o Signature, i int) int {
	return abs(int(s.Cells[i])-int(o.Cells[i])-(int(s.Luma)-int(o.Luma))) +
		abs(int(s.CellsCb[i])-int(o.CellsCb[i])-(int(s.Cb)-int(o.Cb))) +
		abs(int(s.CellsCr[i])-int(o.CellsCr[i])-(int(s.Cr)-int(o.Cr)))
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// Sign computes the signature of img. *image.YCbCr and *image.Gray are read straight from their
// planes without converting or allocating; other types go through the slower generic path. An
// image whose planes are shorter than its bounds need (a malformed image) or that has no pixels
// gets the zero Signature.
func Sign(img image.Image) Signature {
	if CheckImage(img) != nil {
		return Signature{}
	}
	r := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		s := signPlane(m.Y[m.YOffset(r.Min.X, r.Min.Y):], m.YStride, r.Dx(), r.Dy())
		signChroma(&s, m)
		return s
	case *image.Gray:
		s := signPlane(m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride, r.Dx(), r.Dy())
		s.setGrey()
		return s
	}
	return signGeneric(img)
}

// signGeneric converts img to YCbCr pixel by pixel, for image types without a luma plane. It
// allocates and is much slower; the sources in this package never need it.
func signGeneric(img image.Image) Signature {
	r := img.Bounds()
	m := image.NewYCbCr(image.Rect(0, 0, r.Dx(), r.Dy()), image.YCbCrSubsampleRatio444)
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			cr, cg, cb, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
			i := y*m.YStride + x
			m.Y[i], m.Cb[i], m.Cr[i] = color.RGBToYCbCr(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8))
		}
	}
	return Sign(m)
}

func (s *Signature) setGrey() {
	s.Cb, s.Cr = 128, 128
	for i := range s.CellsCb {
		s.CellsCb[i], s.CellsCr[i] = 128, 128
	}
}

// signPlane computes the 9×8 grid of sampled mean lumas over a w×h plane and hashes it. The
// caller guarantees the plane holds (h-1)*stride+w bytes and that w, h > 0.
func signPlane(pix []uint8, stride, w, h int) Signature {
	// Sample columns, cell by cell: xs[col*samplesPerCell+i].
	var xs [hashCols * samplesPerCell]int
	for col := range hashCols {
		x0, x1 := col*w/hashCols, (col+1)*w/hashCols
		for i := range samplesPerCell {
			xs[col*samplesPerCell+i] = min(w-1, x0+(x1-x0)*(2*i+1)/(2*samplesPerCell))
		}
	}
	var sums [cellCount]int
	for row := range hashRows {
		y0, y1 := row*h/hashRows, (row+1)*h/hashRows
		cells := sums[row*hashCols : (row+1)*hashCols]
		for j := range samplesPerCell {
			y := min(h-1, y0+(y1-y0)*(2*j+1)/(2*samplesPerCell))
			line := pix[y*stride : y*stride+w]
			for col := range hashCols {
				sum := 0
				for _, x := range xs[col*samplesPerCell : (col+1)*samplesPerCell] {
					sum += int(line[x])
				}
				cells[col] += sum
			}
		}
	}
	var s Signature
	total := 0
	for i, sum := range sums {
		m := sum / (samplesPerCell * samplesPerCell)
		s.Cells[i] = uint8(m)
		total += m
	}
	for row := range hashRows {
		for col := range hashRows {
			if int(s.Cells[row*hashCols+col]) > int(s.Cells[row*hashCols+col+1])+hashDeadZone {
				s.Hash |= 1 << (row*8 + col)
			}
		}
	}
	s.Luma = uint8(total / cellCount)
	return s
}

// signChroma fills the cell and frame chroma means of s from a grid of samples of m's chroma
// planes; m passed CheckImage.
func signChroma(s *Signature, m *image.YCbCr) {
	r := m.Bounds()
	w, h := r.Dx(), r.Dy()
	var xs [hashCols * chromaSamplesPerCell]int
	for col := range hashCols {
		x0, x1 := col*w/hashCols, (col+1)*w/hashCols
		for i := range chromaSamplesPerCell {
			xs[col*chromaSamplesPerCell+i] = r.Min.X + min(w-1, x0+(x1-x0)*(2*i+1)/(2*chromaSamplesPerCell))
		}
	}
	sumCb, sumCr := 0, 0
	for row := range hashRows {
		y0, y1 := row*h/hashRows, (row+1)*h/hashRows
		var cb, cr [hashCols]int
		for j := range chromaSamplesPerCell {
			y := r.Min.Y + min(h-1, y0+(y1-y0)*(2*j+1)/(2*chromaSamplesPerCell))
			for k, x := range xs {
				o := m.COffset(x, y)
				cb[k/chromaSamplesPerCell] += int(m.Cb[o])
				cr[k/chromaSamplesPerCell] += int(m.Cr[o])
			}
		}
		for col := range hashCols {
			const n = chromaSamplesPerCell * chromaSamplesPerCell
			s.CellsCb[row*hashCols+col] = uint8(cb[col] / n)
			s.CellsCr[row*hashCols+col] = uint8(cr[col] / n)
			sumCb += cb[col] / n
			sumCr += cr[col] / n
		}
	}
	s.Cb, s.Cr = uint8(sumCb/cellCount), uint8(sumCr/cellCount)
}
