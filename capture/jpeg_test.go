package capture

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestEncodedJPEGShowsTheFrame decodes what the encoder wrote and compares it, pixel by pixel,
// with the frame it was given, for every plane layout the encoder takes and for sub-images.
func TestEncodedJPEGShowsTheFrame(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio411} {
		full := image.NewYCbCr(image.Rect(0, 0, 97, 61), ratio)
		for y := 0; y < 61; y++ {
			for x := 0; x < 97; x++ {
				c := color.RGBA{200, 30, 30, 255} // red left, blue right
				if x >= 48 {
					c = color.RGBA{30, 60, 200, 255}
				}
				yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
				full.Y[full.YOffset(x, y)], full.Cb[full.COffset(x, y)], full.Cr[full.COffset(x, y)] = yy, cb, cr
			}
		}
		for _, img := range []*image.YCbCr{full, full.SubImage(image.Rect(8, 4, 90, 60)).(*image.YCbCr)} {
			var enc jpegEncoder
			data, err := enc.encodeJPEG(nil, img, 90)
			enc.close()
			if err != nil {
				t.Fatalf("%v %v: %v", ratio, img.Rect, err)
			}
			got, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%v %v: %s wrote an undecodable JPEG: %v", ratio, img.Rect, jpegEncoderName, err)
			}
			if got.Bounds().Dx() != img.Rect.Dx() || got.Bounds().Dy() != img.Rect.Dy() {
				t.Fatalf("%v: decoded %v, want the size of %v", ratio, got.Bounds(), img.Rect)
			}
			for _, p := range []image.Point{{10, 10}, {30, 40}, {60, 10}, {80, 50}} {
				want := img.At(p.X, p.Y).(color.YCbCr)
				wr, wg, wb := color.YCbCrToRGB(want.Y, want.Cb, want.Cr)
				gr, gg, gb, _ := got.At(p.X-img.Rect.Min.X, p.Y-img.Rect.Min.Y).RGBA()
				if d := channelDiff(wr, gr) + channelDiff(wg, gg) + channelDiff(wb, gb); d > 30 {
					t.Errorf("%v %v at %v: got %d,%d,%d want %d,%d,%d", ratio, img.Rect, p, gr>>8, gg>>8, gb>>8, wr, wg, wb)
				}
			}
		}
	}
}

// channelDiff compares an 8-bit channel with a 16-bit one from color.RGBA.
func channelDiff(a uint8, b uint32) int {
	d := int(a) - int(b>>8)
	if d < 0 {
		return -d
	}
	return d
}

func TestEncodedGreyJPEG(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 33, 17))
	for i := range img.Pix {
		img.Pix[i] = uint8(40 + 160*(i%33)/33) // a left-to-right ramp
	}
	var enc jpegEncoder
	defer enc.close()
	data, err := enc.encodeJPEG(nil, img, 90)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s wrote an undecodable grey JPEG: %v", jpegEncoderName, err)
	}
	for _, x := range []int{2, 16, 30} {
		want := img.GrayAt(x, 8).Y
		g, _, _, _ := got.At(x, 8).RGBA()
		if d := channelDiff(want, g); d > 8 {
			t.Errorf("x=%d: got %d, want %d", x, g>>8, want)
		}
	}
}
