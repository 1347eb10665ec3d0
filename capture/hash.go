package capture

import (
	"image"
	"math/bits"
)

// Signature is a frame's perceptual fingerprint: a 64-bit difference hash (dHash) of the luma
// plane, which ignores noise and overall brightness, plus the mean luma, which catches what
// dHash by design cannot (the lights going off).
type Signature struct {
	Hash uint64 // dHash: bit (row*8+col) is set when cell col is brighter than cell col+1
	Luma uint8  // mean luma, 0-255
}

// hashDeadZone is how much brighter (in mean luma levels) a cell must be than its right
// neighbour to set its bit; it keeps flat areas from flipping bits on sensor noise.
const hashDeadZone = 3

// samplesPerCell is the side of the grid of luma samples averaged per hash cell. Sampling keeps
// the cost independent of resolution (about 4,600 reads per frame).
const samplesPerCell = 8

// Distance is how many hash bits differ between two signatures.
func (s Signature) Distance(o Signature) int { return bits.OnesCount64(s.Hash ^ o.Hash) }

// LumaDelta is the absolute difference of the mean lumas.
func (s Signature) LumaDelta(o Signature) int {
	d := int(s.Luma) - int(o.Luma)
	if d < 0 {
		return -d
	}
	return d
}

// Sign computes the signature of img. *image.YCbCr and *image.Gray are read straight from their
// luma plane without allocating; other types go through the slower generic path.
func Sign(img image.Image) Signature {
	var pix []uint8
	var stride int
	r := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		pix, stride = m.Y[m.YOffset(r.Min.X, r.Min.Y):], m.YStride
	case *image.Gray:
		pix, stride = m.Pix[m.PixOffset(r.Min.X, r.Min.Y):], m.Stride
	default:
		return signGeneric(img)
	}
	return signLuma(func(x, y int) uint8 { return pix[y*stride+x] }, r.Dx(), r.Dy())
}

func signGeneric(img image.Image) Signature {
	r := img.Bounds()
	return signLuma(func(x, y int) uint8 {
		cr, cg, cb, _ := img.At(r.Min.X+x, r.Min.Y+y).RGBA()
		return uint8((19595*cr + 38470*cg + 7471*cb + 1<<15) >> 24)
	}, r.Dx(), r.Dy())
}

// signLuma computes a 9×8 grid of sampled mean lumas over a w×h image and hashes it.
func signLuma(at func(x, y int) uint8, w, h int) Signature {
	if w <= 0 || h <= 0 {
		return Signature{}
	}
	var cells [8][9]int
	total := 0
	for row := 0; row < 8; row++ {
		y0, y1 := row*h/8, (row+1)*h/8
		for col := 0; col < 9; col++ {
			x0, x1 := col*w/9, (col+1)*w/9
			sum, n := 0, 0
			for sy := 0; sy < samplesPerCell; sy++ {
				y := y0 + (y1-y0)*(2*sy+1)/(2*samplesPerCell)
				if y >= h {
					y = h - 1
				}
				for sx := 0; sx < samplesPerCell; sx++ {
					x := x0 + (x1-x0)*(2*sx+1)/(2*samplesPerCell)
					if x >= w {
						x = w - 1
					}
					sum += int(at(x, y))
					n++
				}
			}
			cells[row][col] = sum / n
			total += cells[row][col]
		}
	}
	var hash uint64
	for row := 0; row < 8; row++ {
		for col := 0; col < 8; col++ {
			if cells[row][col] > cells[row][col+1]+hashDeadZone {
				hash |= 1 << (row*8 + col)
			}
		}
	}
	return Signature{Hash: hash, Luma: uint8(total / 72)}
}
