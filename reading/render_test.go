package reading

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"
)

// The evaluation set's frames are rendered when the tests run, from the descriptions in
// eval_test.go, with the Go fonts (no font files or images in the repository).

// fonts are the typefaces the evaluation set uses.
var fonts = map[string][]byte{
	"regular": goregular.TTF, "bold": gobold.TTF, "mono": gomono.TTF, "italic": goitalic.TTF,
}

// scene is one frame to render: text lines on a background, then degraded.
type scene struct {
	W, H    int      // frame size; default 1024×576
	Lines   []string // text, one entry a line; none for a scene without text
	Font    string   // a key of fonts; default regular
	Size    float64  // letter height in pixels (the font's size); default 40
	X, Y    int      // where the first line starts; default: centred
	Angle   float64  // rotation of the text in degrees, anticlockwise
	Ink, Bg uint8    // text and background grey; default 20 on 220
	Color   bool     // white text on a red sign, the sign on a grey wall
	Texture string   // background: "" flat, "gradient", "noise", "bricks", "stripes", "blobs"
	Blur    int      // box-blur radius in pixels
	Noise   float64  // Gaussian noise, standard deviation in grey levels
	Quality int      // JPEG quality; default 85
	Seed    uint64   // for the texture and the noise
}

func (s scene) defaults() scene {
	if s.W == 0 {
		s.W, s.H = 1024, 576
	}
	if s.Font == "" {
		s.Font = "regular"
	}
	if s.Size == 0 {
		s.Size = 40
	}
	if s.Ink == 0 && s.Bg == 0 {
		s.Ink, s.Bg = 20, 220
	}
	if s.Quality == 0 {
		s.Quality = 85
	}
	return s
}

// render draws s as a camera frame's JPEG.
func render(t testing.TB, s scene) []byte {
	t.Helper()
	s = s.defaults()
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	img := image.NewRGBA(image.Rect(0, 0, s.W, s.H))
	background(img, s, rng)
	if len(s.Lines) > 0 {
		mask := textMask(t, s)
		var ink image.Image = image.NewUniform(color.Gray{Y: s.Ink})
		if s.Color {
			b := mask.Bounds().Inset(-int(s.Size / 2))
			signMask := image.NewAlpha(mask.Bounds())
			drawRect(signMask, b)
			draw.DrawMask(img, img.Bounds(), image.NewUniform(color.RGBA{R: 200, G: 30, B: 30, A: 255}), image.Point{}, rotate(signMask, s), image.Point{}, draw.Over)
			ink = image.NewUniform(color.White)
		}
		draw.DrawMask(img, img.Bounds(), ink, image.Point{}, rotate(mask, s), image.Point{}, draw.Over)
	}
	if s.Blur > 0 {
		img = boxBlur(img, s.Blur)
	}
	if s.Noise > 0 {
		for i := range img.Pix {
			if i%4 == 3 {
				continue
			}
			img.Pix[i] = clampGrey(float64(img.Pix[i]) + rng.NormFloat64()*s.Noise)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: s.Quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func drawRect(m *image.Alpha, r image.Rectangle) {
	r = r.Intersect(m.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.SetAlpha(x, y, color.Alpha{A: 255})
		}
	}
}

// textMask draws the lines, unrotated, into an alpha mask the size of the frame; its bounds are
// the frame's, the text somewhere inside.
func textMask(t testing.TB, s scene) *image.Alpha {
	f, err := opentype.Parse(fonts[s.Font])
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: s.Size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = face.Close() }()
	lineH := int(s.Size * 1.4)
	width := 0
	for _, l := range s.Lines {
		width = max(width, font.MeasureString(face, l).Ceil())
	}
	x, y := s.X, s.Y
	if x == 0 && y == 0 {
		x, y = (s.W-width)/2, (s.H-lineH*len(s.Lines))/2
	}
	m := image.NewAlpha(image.Rect(0, 0, s.W, s.H))
	d := font.Drawer{Dst: m, Src: image.Opaque, Face: face}
	for i, l := range s.Lines {
		d.Dot = fixed.P(x, y+int(s.Size)+i*lineH)
		d.DrawString(l)
	}
	return m
}

// rotate turns m by s.Angle about the frame's centre.
func rotate(m *image.Alpha, s scene) image.Image {
	if s.Angle == 0 {
		return m
	}
	a := s.Angle * math.Pi / 180
	cx, cy := float64(s.W)/2, float64(s.H)/2
	sin, cos := math.Sin(-a), math.Cos(-a)
	out := image.NewAlpha(m.Bounds())
	tr := f64.Aff3{cos, -sin, cx - cos*cx + sin*cy, sin, cos, cy - sin*cx - cos*cy}
	draw.BiLinear.Transform(out, tr, m, m.Bounds(), draw.Src, nil)
	return out
}

// background paints the scene's background: flat, or a texture a reader must not read as text.
func background(img *image.RGBA, s scene, rng *rand.Rand) {
	b := img.Bounds()
	set := func(x, y int, v float64) {
		g := clampGrey(v)
		if s.Color {
			img.Set(x, y, color.RGBA{R: g, G: clampGrey(v - 10), B: clampGrey(v - 20), A: 255})
			return
		}
		img.Set(x, y, color.RGBA{R: g, G: g, B: g, A: 255})
	}
	bg := float64(s.Bg)
	var blobs [][3]float64
	for range 40 {
		blobs = append(blobs, [3]float64{rng.Float64() * float64(b.Dx()), rng.Float64() * float64(b.Dy()), 10 + rng.Float64()*60})
	}
	cells := automaton(b.Dx()/3+1, b.Dy()/3+1, rng)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v := bg
			switch s.Texture {
			case "gradient":
				v = bg - 80*float64(x)/float64(b.Dx())
			case "noise":
				v = bg + rng.NormFloat64()*25
			case "bricks":
				row := y / 24
				off := (row % 2) * 30
				if y%24 < 3 || (x+off)%60 < 3 {
					v = bg - 90
				} else {
					v = bg - 30 + 10*math.Sin(float64(x*y%97))
				}
			case "stripes":
				v = bg - 60*float64((x/7)%2)
			case "cells":
				if cells[y/3][x/3] {
					v = bg - 150
				}
			case "grille":
				if x%9 < 2 && (x/40)%3 != 0 {
					v = bg - 120
				}
			case "scribble":
				for _, c := range blobs {
					dx, dy := float64(x)-c[0], float64(y)-c[1]
					if math.Abs(dx) < c[2]/3 && math.Abs(dy-dx*math.Sin(c[2])) < 1.5 {
						v = bg - 140
					}
				}
			case "blobs":
				for _, c := range blobs {
					if dx, dy := float64(x)-c[0], float64(y)-c[1]; dx*dx+dy*dy < c[2]*c[2] {
						v = bg - 100 + 20*math.Sin(float64(x)/5)
					}
				}
			}
			set(x, y, v)
		}
	}
}

// automaton is rule 30 grown from a random first row: a texture of small irregular marks,
// the kind Tesseract reads letters from.
func automaton(w, h int, rng *rand.Rand) [][]bool {
	rows := make([][]bool, h)
	rows[0] = make([]bool, w)
	for x := range rows[0] {
		rows[0][x] = rng.IntN(2) == 0
	}
	for y := 1; y < h; y++ {
		rows[y] = make([]bool, w)
		for x := range rows[y] {
			l, c, r := x > 0 && rows[y-1][x-1], rows[y-1][x], x+1 < w && rows[y-1][x+1]
			rows[y][x] = l != (c || r)
		}
	}
	return rows
}

func clampGrey(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

// boxBlur blurs img with a square kernel of the given radius.
func boxBlur(img *image.RGBA, r int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var sum [3]int
			n := 0
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					px, py := x+dx, y+dy
					if !(image.Point{X: px, Y: py}.In(b)) {
						continue
					}
					o := img.PixOffset(px, py)
					sum[0] += int(img.Pix[o])
					sum[1] += int(img.Pix[o+1])
					sum[2] += int(img.Pix[o+2])
					n++
				}
			}
			o := out.PixOffset(x, y)
			out.Pix[o], out.Pix[o+1], out.Pix[o+2], out.Pix[o+3] = uint8(sum[0]/n), uint8(sum[1]/n), uint8(sum[2]/n), 255
		}
	}
	return out
}
