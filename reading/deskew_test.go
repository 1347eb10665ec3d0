package reading

import (
	"image"
	"math"
	"testing"
)

// TestSkew: the skew of rendered lines of text is found within a degree, either way, and a
// frame turned back by it shows its lines level.
func TestSkew(t *testing.T) {
	for _, angle := range []float64{0, 5, -12, 15, -20, 30, -35} {
		s := scene{Lines: []string{"Staff only beyond this point", "Deliveries at the rear"}, Size: 32, Angle: angle}
		g, err := decodeGrey(render(t, s))
		if err != nil {
			t.Fatal(err)
		}
		deg, gain := skew(g)
		t.Logf("angle %v: skew %v, gain %.2f", angle, deg, gain)
		if math.Abs(deg-angle) > 1 {
			t.Errorf("angle %v: skew %v", angle, deg)
		}
		if angle != 0 && gain < minSkewGain {
			t.Errorf("angle %v: gain %.2f, want at least %v", angle, gain, minSkewGain)
		}
		if level, _ := skew(turn(g, deg).img); math.Abs(level) > 1 {
			t.Errorf("angle %v: turned by %v, the lines are still at %v", angle, deg, level)
		}
	}
}

// TestTurnBox: a box in the turned image maps back to where its corners came from.
func TestTurnBox(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 200, 100))
	for _, deg := range []float64{0, 30, -45, 90, 180} {
		tu := turn(g, deg)
		b := tu.img.Bounds()
		// The turned image's centre comes from the original's.
		c := image.Rect(b.Dx()/2, b.Dy()/2, b.Dx()/2, b.Dy()/2)
		if got := tu.box(c); got.Min.Sub(image.Pt(100, 50)).X*got.Min.Sub(image.Pt(100, 50)).X > 1 || abs(got.Min.Y-50) > 1 {
			t.Errorf("%v°: the centre maps back to %v", deg, got)
		}
	}
	// Turned clockwise by 90°, the original's top-left corner is the turned image's top-right.
	tu := turn(g, 90)
	if got := tu.box(image.Rect(99, 0, 100, 1)); abs(got.Min.X) > 1 || abs(got.Min.Y) > 1 {
		t.Errorf("90°: the top right corner maps back to %v, want near 0,0", got)
	}
}
