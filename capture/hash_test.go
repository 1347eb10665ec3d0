package capture

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
	"time"
)

// noisy returns a copy of img with every luma sample moved by up to ±amp, as a sensor would.
func noisy(img *image.YCbCr, amp int, rng *rand.Rand) *image.YCbCr {
	out := copyImage(nil, img).(*image.YCbCr)
	for i := range out.Y {
		out.Y[i] = clampAdd(out.Y[i], rng.IntN(2*amp+1)-amp)
	}
	return out
}

// scene renders a demo-style scene at w×h.
func scene(bg color.RGBA, w, h int, boxes ...demoBox) *image.YCbCr {
	return renderScene(demoScene{background: bg, boxes: boxes}, w, h)
}

var (
	beige  = color.RGBA{225, 215, 190, 255}
	red    = color.RGBA{200, 30, 30, 255}
	blue   = color.RGBA{30, 60, 200, 255}
	green  = color.RGBA{60, 140, 70, 255}
	purple = color.RGBA{140, 60, 140, 255}
)

func TestGateIgnoresNoiseAndFlickerCatchesChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := scene(beige, 640, 360, demoBox{image.Rect(1, 3, 5, 8), red})
	flicker := copyImage(nil, base).(*image.YCbCr)
	for i := range flicker.Y {
		flicker.Y[i] = clampAdd(flicker.Y[i], 6) // the whole frame a little brighter
	}
	// Same luma, other hue: only the chroma means tell these apart.
	grey := scene(color.RGBA{128, 128, 128, 255}, 640, 360)
	tinted := image.NewYCbCr(grey.Rect, image.YCbCrSubsampleRatio420)
	copy(tinted.Y, grey.Y)
	for i := range tinted.Cb {
		tinted.Cb[i], tinted.Cr[i] = 100, 160
	}
	cases := []struct {
		name   string
		a, b   *image.YCbCr
		change bool
	}{
		{"sensor noise", base, noisy(base, 12, rng), false},
		{"brightness flicker", base, flicker, false},
		{"object appears", base, scene(beige, 640, 360, demoBox{image.Rect(1, 3, 5, 8), red}, demoBox{image.Rect(11, 2, 15, 8), blue}), true},
		{"small object appears", base, scene(beige, 640, 360, demoBox{image.Rect(1, 3, 5, 8), red}, demoBox{image.Rect(12, 1, 14, 3), blue}), true},
		{"lights off", base, scene(color.RGBA{14, 12, 10, 255}, 640, 360), true},
		{"recoloured", grey, tinted, true},
		{"object moves", base, scene(beige, 640, 360, demoBox{image.Rect(9, 3, 13, 8), red}), true},
		{"other scene", base, scene(green, 640, 360, demoBox{image.Rect(6, 2, 10, 7), purple}), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var g Gate
			now := time.Unix(0, 0)
			if send, reason, _ := g.Check(Sign(c.a), now); !send || reason != "first" {
				t.Fatalf("first frame: send %v reason %q", send, reason)
			}
			for i := range 3 { // the gate learns how much each cell jitters
				if send, reason, _ := g.Check(Sign(noisy(c.a, 3, rng)), now.Add(time.Duration(i)*time.Millisecond)); send {
					t.Fatalf("noisy copy %d of the first frame sent (%s)", i, reason)
				}
			}
			b := noisy(c.b, 3, rng)
			send, reason, d := g.Check(Sign(b), now.Add(time.Second))
			if send != c.change {
				sa, sb := Sign(c.a), Sign(b)
				t.Fatalf("send = %v (%q), want %v; distance %d, luma Δ %d, chroma Δ %d, cells changed %d",
					send, reason, c.change, d, sa.LumaDelta(sb), sa.ChromaDelta(sb), cellsChanged(sa, sb))
			}
		})
	}
}

func TestGateHeartbeat(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	img := scene(beige, 320, 180, demoBox{image.Rect(1, 3, 5, 8), red})
	for _, hb := range []time.Duration{0, 2 * time.Second} {
		g := Gate{Heartbeat: hb}
		t0 := time.Unix(100, 0)
		var reasons []string
		for i := range 50 { // 5 s at 10 fps
			if send, reason, _ := g.Check(Sign(noisy(img, 8, rng)), t0.Add(time.Duration(i)*100*time.Millisecond)); send {
				reasons = append(reasons, reason)
			}
		}
		want := []string{"first"}
		if hb > 0 {
			want = []string{"first", "heartbeat", "heartbeat"} // at 2 s and 4 s
		}
		if len(reasons) != len(want) {
			t.Errorf("heartbeat %s: sent %v, want %v", hb, reasons, want)
		}
	}
}

func TestGateRevert(t *testing.T) {
	a, b := Sign(scene(beige, 160, 90)), Sign(scene(green, 160, 90, demoBox{image.Rect(2, 2, 8, 8), red}))
	var g Gate
	t0 := time.Unix(0, 0)
	g.Check(a, t0)
	g.Sent(a, t0)
	if send, _, _ := g.Check(b, t0); !send {
		t.Fatal("scene b not a change")
	}
	g.Revert() // b went stale unsent
	if send, reason, _ := g.Check(b, t0); !send || reason != "changed" {
		t.Fatalf("after revert, b again: send %v reason %q, want a change", send, reason)
	}
}

func TestSignOddSizes(t *testing.T) {
	for _, size := range []image.Point{{1, 1}, {1, 7}, {7, 1}, {3, 5}, {9, 8}, {17, 9}, {641, 479}} {
		img := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = uint8(i * 7)
		}
		s := Sign(img)
		if g := Sign(image.NewGray(img.Rect)); g.Luma != 0 {
			t.Errorf("%v: black grey image has luma %d", size, g.Luma)
		}
		// A sub-image signs like the same pixels copied out.
		sub := img.SubImage(image.Rect(0, 0, size.X, size.Y)).(*image.YCbCr)
		if Sign(sub) != s {
			t.Errorf("%v: sub-image signs differently", size)
		}
	}
}

func TestSignGenericMatchesPlanes(t *testing.T) {
	img := scene(beige, 320, 180, demoBox{image.Rect(1, 3, 5, 8), red})
	rgba := image.NewRGBA(img.Rect)
	for y := range 180 {
		for x := range 320 {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	a, b := Sign(img), Sign(rgba)
	if d := a.Distance(b); d > 2 || a.LumaDelta(b) > 2 || a.ChromaDelta(b) > 4 {
		t.Errorf("RGBA path differs from YCbCr path: distance %d, luma Δ %d, chroma Δ %d", d, a.LumaDelta(b), a.ChromaDelta(b))
	}
}

func TestSignMalformedIsZero(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420)
	img.Y = img.Y[:100]
	if s := Sign(img); s != (Signature{}) {
		t.Errorf("truncated image signed %+v, want zero", s)
	}
	if CheckImage(img) == nil {
		t.Error("CheckImage accepted a truncated luma plane")
	}
}

func BenchmarkSign1080p(b *testing.B) {
	img := noisy(scene(beige, 1920, 1080, demoBox{image.Rect(1, 3, 5, 8), red}), 4, rand.New(rand.NewPCG(5, 6)))
	b.ReportAllocs()
	for b.Loop() {
		Sign(img)
	}
}

func TestScaleKeepsTheScene(t *testing.T) {
	src := scene(beige, 1920, 1080, demoBox{image.Rect(1, 3, 5, 8), red}, demoBox{image.Rect(11, 2, 15, 8), blue})
	var s scaler
	for _, size := range []image.Point{{1024, 576}, {1000, 563}, {300, 169}, {1, 1}, {1920, 1080}} {
		out := s.scaleYCbCr(src, size.X, size.Y)
		if out.Bounds().Size() != size {
			t.Fatalf("scaled to %v, want %v", out.Bounds().Size(), size)
		}
		a, b := Sign(src), Sign(out)
		if size.X > 100 && (a.Distance(b) > 4 || a.LumaDelta(b) > 2 || a.ChromaDelta(b) > 3 || cellsChanged(a, b) > 2) {
			t.Errorf("%v: scaled frame differs: distance %d, luma Δ %d, chroma Δ %d, cells %d", size, a.Distance(b), a.LumaDelta(b), a.ChromaDelta(b), cellsChanged(a, b))
		}
	}
	// A flat plane stays flat, edges included.
	flat := scene(purple, 333, 111)
	out := s.scaleYCbCr(flat, 100, 33)
	for i, v := range out.Y {
		if v != flat.Y[0] {
			t.Fatalf("flat plane scaled: Y[%d] = %d, want %d", i, v, flat.Y[0])
		}
	}
}

// saltAndPepper sets the pixels of the box (in the 16×9 grid) to black or white at random, like
// the noise block of pion/mediadevices' test pattern.
func saltAndPepper(img *image.YCbCr, box image.Rectangle, rng *rand.Rand) *image.YCbCr {
	out := copyImage(nil, img).(*image.YCbCr)
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := box.Min.Y * h / 9; y < box.Max.Y*h/9; y++ {
		for x := box.Min.X * w / 16; x < box.Max.X*w/16; x++ {
			out.Y[y*out.YStride+x] = uint8(rng.IntN(2) * 255)
		}
	}
	return out
}

func TestGateLearnsNoisyCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	base := scene(beige, 640, 360, demoBox{image.Rect(1, 3, 5, 8), red})
	noiseBox := image.Rect(11, 6, 16, 9)
	var g Gate
	t0 := time.Unix(0, 0)
	var sent []string
	for i := range 90 {
		if send, reason, _ := g.Check(Sign(saltAndPepper(base, noiseBox, rng)), t0.Add(time.Duration(i)*33*time.Millisecond)); send {
			sent = append(sent, reason)
		}
	}
	if len(sent) != 1 {
		t.Errorf("a static scene with a block of heavy noise sent %v, want only the first frame", sent)
	}
	// A small object elsewhere is still a change.
	moved := saltAndPepper(scene(beige, 640, 360, demoBox{image.Rect(1, 3, 5, 8), red}, demoBox{image.Rect(7, 1, 9, 3), blue}), noiseBox, rng)
	if send, _, _ := g.Check(Sign(moved), t0.Add(4*time.Second)); !send {
		t.Error("a small object appearing beside the noise was not a change")
	}
}

// cellsChanged counts the cells of b that moved from a by at least DefaultCellDelta.
func cellsChanged(a, b Signature) int {
	n := 0
	for i := range cellCount {
		if b.cellDelta(a, i) >= DefaultCellDelta {
			n++
		}
	}
	return n
}
