package reading

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"
)

// DefaultUpscaleBelow is Config.UpscaleBelow's default: frames whose long edge is under 800
// pixels (capture's --max-edge set low) are read at twice their size, so their letters reach the
// 20 pixels or so Tesseract needs. Capture's 1024-pixel frames are read as they are: doubling
// them reads letters under 15 pixels tall but takes four to six times as long
// (docs/reading.md).
const DefaultUpscaleBelow = 800

// grey is a frame's grey plane, ready for Tesseract, and the factor it was scaled by.
type grey struct {
	img   *image.Gray
	scale float64
}

// decodeGrey decodes a JPEG frame to its grey plane. A camera frame's JPEG is YCbCr: its luma
// plane is the grey image, taken as is with no colour conversion (Tesseract reads much less from
// colour frames, see docs/reading.md).
func decodeGrey(data []byte) (*image.Gray, error) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}, nil
	case *image.Gray:
		return m, nil
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g, nil
}

// prepare makes a grey plane readable: scaled up when the frame is small (upscaleBelow: the long
// edge under which it is doubled; 0 or less: never), then stretched to the full range of grey so faint
// text on a dim or washed-out frame gets the contrast Tesseract's thresholding needs.
func prepare(g *image.Gray, upscaleBelow int) grey {
	out := grey{img: g, scale: 1}
	b := g.Bounds()
	if long := max(b.Dx(), b.Dy()); upscaleBelow > 0 && long < upscaleBelow && long > 0 {
		up := image.NewGray(image.Rect(0, 0, b.Dx()*2, b.Dy()*2))
		draw.CatmullRom.Scale(up, up.Bounds(), g, b, draw.Src, nil)
		out = grey{img: up, scale: 2}
	} else {
		c := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(c, c.Bounds(), g, b.Min, draw.Src)
		out.img = c
	}
	stretch(out.img)
	return out
}

// stretch maps the darkest 1 % of pixels to black and the brightest 1 % to white, linearly, in
// place. A frame that is nearly one grey (less than 8 levels between the two) is left alone: there
// is nothing to read and stretching would only amplify noise.
func stretch(g *image.Gray) {
	var hist [256]int
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, v := range g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()] {
			hist[v]++
		}
	}
	cut := b.Dx() * b.Dy() / 100
	lo, hi := 0, 255
	for sum := 0; lo < 255; lo++ {
		if sum += hist[lo]; sum > cut {
			break
		}
	}
	for sum := 0; hi > 0; hi-- {
		if sum += hist[hi]; sum > cut {
			break
		}
	}
	if hi-lo < 8 || (lo == 0 && hi == 255) {
		return
	}
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(max(0, min(255, (v-lo)*255/(hi-lo))))
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()]
		for i, v := range row {
			row[i] = lut[v]
		}
	}
}
