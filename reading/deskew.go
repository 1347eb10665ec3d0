package reading

import (
	"context"
	"image"
	"math"

	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// Turned text. Tesseract's layout analysis straightens lines skewed by up to about 10° itself
// and reads nothing from a sign turned by 15° or more (the evaluation set). So when a frame
// gives no text, the reader looks for turned text and reads the frame again, turned upright:
//   - skew (a sign seen at an angle, up to maxSkew either way) from the frame's edges: text lines
//     are rows of edges, and the edges projected across the lines pile up in the fewest rows
//     when the projection runs along them (the projection-profile method);
//   - orientation (text on its side or upside down) from Tesseract's orientation detection,
//     which needs its osd data.
//
// Both run only on a frame that gave no text, orientation only when Tesseract found words in it
// but none it was sure of (text on its side reads as a few unsure words): reading it again costs
// another recognition, and a frame with text upright (most of them) costs nothing more.

const (
	// maxSkew is the largest skew looked for, either way, in degrees.
	maxSkew = 45
	// minSkew is the least skew worth turning for: Tesseract straightens less itself.
	minSkew = 8
	// minSkewGain is how much more the edges must pile up along the best angle than along the
	// frame's rows (score ratio) for the skew to be trusted: text lines pile up two to six
	// times more along themselves; textures without lines about as much at every angle.
	minSkewGain = 1.5
	// skewPoints bounds the edge points projected, for a bounded cost per frame.
	skewPoints = 12000
	// skewEdge is the least difference of grey, across two pixels, that makes an edge.
	skewEdge = 48
	// minOrientationConf is the least confidence of Tesseract's orientation detection acted on
	// (its scale: "15.0 is reasonably confident"; on the evaluation set a sign on its side scores
	// 1-3, textures and upright text below 1 when turned).
	minOrientationConf = 0.1
)

// skew estimates how far the text lines in g are turned, in degrees anticlockwise as seen
// (the scene's Angle), within maxSkew either way, and gain: how much more the edges pile up
// along that angle than along the rows (1 when there is nothing to tell).
func skew(g *image.Gray) (deg, gain float64) {
	pts := edgePoints(g)
	if len(pts) < 50 {
		return 0, 1
	}
	b := g.Bounds()
	diag := int(math.Hypot(float64(b.Dx()), float64(b.Dy())))/2 + 2
	bins := make([]int32, 2*diag+1)
	score := func(a float64) float64 {
		clear(bins)
		sin, cos := math.Sincos(a * math.Pi / 180)
		for _, p := range pts {
			// The distance across lines turned anticlockwise by a (y grows downwards), in
			// rows two pixels high like the points' grid (rows of one pixel would favour 0°,
			// where every point falls on an even row).
			d := int(math.Floor((float64(p.Y)*cos + float64(p.X)*sin) / 2))
			bins[d+diag]++
		}
		var s float64
		for _, c := range bins {
			s += float64(c) * float64(c)
		}
		return s
	}
	zero := score(0)
	best, bestScore := 0.0, zero
	for a := -maxSkew; a <= maxSkew; a++ {
		if a == 0 {
			continue
		}
		if s := score(float64(a)); s > bestScore {
			best, bestScore = float64(a), s
		}
	}
	for _, a := range []float64{best - 0.5, best + 0.5} { // half a degree either side
		if s := score(a); s > bestScore {
			best, bestScore = a, s
		}
	}
	if zero == 0 {
		return best, 1
	}
	return best, bestScore / zero
}

// edgePoints are the points of g on a strong edge, every other pixel, at most about
// skewPoints of them spread over the frame.
func edgePoints(g *image.Gray) []image.Point {
	b := g.Bounds()
	at := func(x, y int) int { return int(g.Pix[g.PixOffset(x, y)]) }
	var pts []image.Point
	for y := b.Min.Y + 2; y < b.Max.Y-2; y += 2 {
		for x := b.Min.X + 2; x < b.Max.X-2; x += 2 {
			gx := at(x+2, y) - at(x-2, y)
			gy := at(x, y+2) - at(x, y-2)
			if abs(gx)+abs(gy) >= skewEdge {
				pts = append(pts, image.Point{X: x - b.Min.X, Y: y - b.Min.Y})
			}
		}
	}
	if n := len(pts); n > skewPoints { // thin evenly
		kept := pts[:0]
		for i := range skewPoints {
			kept = append(kept, pts[i*n/skewPoints])
		}
		pts = kept
	}
	return pts
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// turned is a grey image turned upright and the map from its pixels back to the frame's.
type turned struct {
	img  *image.Gray
	back f64.Aff3 // turned pixels → the original's
}

// turn rotates g clockwise by deg degrees about its centre (turning text that is turned
// anticlockwise by deg upright) onto a canvas large enough for all of it, the corners filled
// with the image's most common grey (its background).
func turn(g *image.Gray, deg float64) turned {
	b := g.Bounds()
	sin, cos := math.Sincos(deg * math.Pi / 180)
	w, h := float64(b.Dx()), float64(b.Dy())
	nw := int(math.Ceil(math.Abs(w*cos) + math.Abs(h*sin)))
	nh := int(math.Ceil(math.Abs(w*sin) + math.Abs(h*cos)))
	out := image.NewGray(image.Rect(0, 0, nw, nh))
	fill := uint8(mode(g))
	for i := range out.Pix {
		out.Pix[i] = fill
	}
	// Turning the picture clockwise on screen (y down) by deg is the rotation R(deg) =
	// [cos -sin; sin cos] about the centres: a turned point p comes from the original's
	// centre + R(-deg)·(p - the turned centre).
	cx, cy := float64(b.Min.X)+w/2, float64(b.Min.Y)+h/2
	ncx, ncy := float64(nw)/2, float64(nh)/2
	back := f64.Aff3{
		cos, sin, cx - cos*ncx - sin*ncy,
		-sin, cos, cy + sin*ncx - cos*ncy,
	}
	draw.ApproxBiLinear.Transform(out, invert(back), g, b, draw.Src, nil)
	return turned{img: out, back: back}
}

// invert inverts an affine map made of a rotation and a translation.
func invert(m f64.Aff3) f64.Aff3 {
	// m = [R t]; m⁻¹ = [Rᵀ -Rᵀt]
	a, b, c, d := m[0], m[1], m[3], m[4]
	tx, ty := m[2], m[5]
	return f64.Aff3{a, c, -(a*tx + c*ty), b, d, -(b*tx + d*ty)}
}

// box maps a rectangle of the turned image back to the smallest rectangle holding it in the
// original.
func (t turned) box(r image.Rectangle) image.Rectangle {
	m := t.back
	var out image.Rectangle
	for i, p := range []image.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, {X: r.Min.X, Y: r.Max.Y}, r.Max} {
		x := m[0]*float64(p.X) + m[1]*float64(p.Y) + m[2]
		y := m[3]*float64(p.X) + m[4]*float64(p.Y) + m[5]
		q := image.Pt(int(math.Round(x)), int(math.Round(y)))
		if i == 0 {
			out = image.Rectangle{Min: q, Max: q}
			continue
		}
		out.Min.X, out.Min.Y = min(out.Min.X, q.X), min(out.Min.Y, q.Y)
		out.Max.X, out.Max.Y = max(out.Max.X, q.X), max(out.Max.Y, q.Y)
	}
	return out
}

// mode is the most common grey level of g.
func mode(g *image.Gray) int {
	var hist [256]int
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for _, v := range g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()] {
			hist[v]++
		}
	}
	best := 0
	for v, n := range hist {
		if n > hist[best] {
			best = v
		}
	}
	return best
}

// recognize reads g; when nothing in it reads as text, it looks for turned text (skew, then
// orientation) and, when it finds some, reads g again turned upright and keeps that reading if
// it reads more. The words' boxes are in g's pixels either way.
func (r *Reader) recognize(ctx context.Context, g *image.Gray) (page, error) {
	p, err := r.engine.recognize(ctx, g)
	if err != nil || len(keepLines(p.words, r.cfg.MinConfidence)) > 0 {
		return p, err
	}
	deg := 0.0
	if !r.cfg.NoDeskew {
		if d, gain := skew(g); math.Abs(d) >= minSkew && gain >= minSkewGain {
			deg = d
		}
	}
	if deg == 0 && len(p.words) > 0 { // letters were found, but nothing read: on their side?
		if o, conf, ok := r.engine.orientation(g); ok && o != 0 && conf >= minOrientationConf {
			deg = float64(o)
		}
	}
	if deg == 0 {
		return p, nil
	}
	t := turn(g, deg)
	q, err := r.engine.recognize(ctx, t.img)
	if err != nil {
		return page{}, err
	}
	if keptChars(q.words, r.cfg.MinConfidence) == 0 {
		return p, nil
	}
	for i := range q.words {
		q.words[i].Box = t.box(q.words[i].Box).Intersect(g.Bounds())
	}
	q.turned = deg
	return q, nil
}

// keptChars counts the characters of the words kept from words.
func keptChars(words []Word, minConf float64) int {
	n := 0
	for _, l := range keepLines(words, minConf) {
		n += len([]rune(l.Text))
	}
	return n
}
