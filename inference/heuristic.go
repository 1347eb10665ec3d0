package inference

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"sort"
	"strings"

	"github.com/narrator-dev/narrator/bus"
)

// Heuristic is the model-free describer: it measures colours, brightness and what changed where,
// and says so in short sentences. It is not a model and reports IsModel false; it is the
// fallback wherever no model is available.
type Heuristic struct {
	last map[string]*grid // per camera, the previous frame's grid
}

// NewHeuristic returns a heuristic describer.
func NewHeuristic() *Heuristic { return &Heuristic{last: map[string]*grid{}} }

// Info identifies the heuristic describer.
func (h *Heuristic) Info() Info { return Info{Backend: "heuristic"} }

const (
	// maxPixels bounds the frames the heuristic decodes (8K UHD), so a hostile header cannot
	// make it allocate gigabytes.
	maxPixels    = 7680 * 4320
	gridW, gridH = 16, 9
	// cellChange is the mean RGB distance (0-441) above which a cell counts as changed.
	cellChange = 40
	// regionChange is the share of a region's cells that must change for it to be named.
	regionChange = 0.2
)

type cell struct{ r, g, b float64 }

func (c cell) luma() float64 { return (0.299*c.r + 0.587*c.g + 0.114*c.b) / 255 }

type grid [gridH][gridW]cell

// Describe decodes the frame's JPEG and describes it against the camera's previous frame.
func (h *Heuristic) Describe(_ context.Context, f bus.Frame, _ func(string)) (Result, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(f.JPEG))
	if err != nil {
		return Result{}, fmt.Errorf("decode frame %s: %w", f.ID, err)
	}
	if cfg.Width*cfg.Height > maxPixels {
		return Result{}, fmt.Errorf("frame %s is %dx%d, more than %d pixels", f.ID, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := jpeg.Decode(bytes.NewReader(f.JPEG))
	if err != nil {
		return Result{}, fmt.Errorf("decode frame %s: %w", f.ID, err)
	}
	g := sampleGrid(img)
	prev := h.last[f.Camera]
	h.last[f.Camera] = g
	return describeGrid(g, prev), nil
}

// sampleGrid averages a few sample points in each cell of a 16×9 grid.
func sampleGrid(img image.Image) *grid {
	var g grid
	r := img.Bounds()
	const samples = 4
	for gy := 0; gy < gridH; gy++ {
		for gx := 0; gx < gridW; gx++ {
			var sr, sg, sb float64
			for sy := 0; sy < samples; sy++ {
				for sx := 0; sx < samples; sx++ {
					x := r.Min.X + (gx*samples+sx)*r.Dx()/(gridW*samples) + r.Dx()/(2*gridW*samples)
					y := r.Min.Y + (gy*samples+sy)*r.Dy()/(gridH*samples) + r.Dy()/(2*gridH*samples)
					cr, cg, cb, _ := img.At(x, y).RGBA()
					sr, sg, sb = sr+float64(cr>>8), sg+float64(cg>>8), sb+float64(cb>>8)
				}
			}
			n := float64(samples * samples)
			g[gy][gx] = cell{sr / n, sg / n, sb / n}
		}
	}
	return &g
}

// describeGrid turns a grid (and the previous one, if any) into sentences and measurements.
func describeGrid(g, prev *grid) Result {
	brightness := 0.0
	for _, row := range g {
		for _, c := range row {
			brightness += c.luma()
		}
	}
	brightness /= gridW * gridH
	colours := colourRegions(g)
	meta := map[string]any{
		"describer":  "heuristic",
		"note":       "not a model: colour, brightness and change measurements only",
		"brightness": math.Round(brightness*100) / 100,
		"colours":    colours,
	}
	var sentences []string
	if prev != nil {
		before := 0.0
		for _, row := range prev {
			for _, c := range row {
				before += c.luma()
			}
		}
		before /= gridW * gridH
		changed, regions := changedRegions(g, prev)
		meta["changed_fraction"] = math.Round(changed*100) / 100
		meta["changed_regions"] = regions
		switch {
		case before >= 0.3 && brightness < 0.12:
			sentences = append(sentences, "The lights went off.")
		case before < 0.12 && brightness >= 0.3:
			sentences = append(sentences, "The lights came on.")
		case len(regions) == 3 || changed > 0.6:
			sentences = append(sentences, "The whole view changed.")
		case len(regions) > 0:
			// A partial change is said on its own: what appeared or went, and where.
			return Result{Text: partialChange(colourRegions(prev), colours, regions), Metadata: meta}
		default:
			sentences = append(sentences, "No change.")
		}
	}
	sentences = append(sentences, sceneSentence(brightness, colours))
	return Result{Text: strings.Join(sentences, " "), Metadata: meta}
}

// partialChange says which colours appeared or went where part of the view changed.
func partialChange(before, now []colourRegion, regions []string) string {
	had := map[string]bool{}
	for _, c := range before {
		had[c.Name] = true
	}
	has := map[string]bool{}
	var sentences []string
	for _, c := range now {
		has[c.Name] = true
		if !had[c.Name] {
			sentences = append(sentences, capitalise(c.Name)+" appeared "+c.Where+".")
		}
	}
	for _, c := range before {
		if !has[c.Name] {
			sentences = append(sentences, "The "+c.Name+" "+c.Where+" is gone.")
		}
	}
	if len(sentences) == 0 {
		return "Something changed " + joinWords(regions) + "."
	}
	return strings.Join(sentences, " ")
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// sceneSentence says how bright the view is and which colours are where.
func sceneSentence(brightness float64, colours []colourRegion) string {
	var light string
	switch {
	case brightness < 0.12:
		return "Very dark."
	case brightness < 0.3:
		light = "Dim"
	case brightness > 0.7:
		light = "Bright"
	default:
		light = "Evenly lit"
	}
	if len(colours) == 0 {
		return light + "."
	}
	parts := []string{"mostly " + colours[0].Name}
	for _, c := range colours[1:] {
		parts = append(parts, c.Name+" "+c.Where)
	}
	return light + ", " + strings.Join(parts, ", ") + "."
}

// colourRegion is a named colour covering part of the view.
type colourRegion struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"`
	Where string  `json:"where"` // "on the left", "in the centre", "on the right", "across the view"
}

// colourRegions names the colours that cover at least 8% of the view, largest first (at most 3).
func colourRegions(g *grid) []colourRegion {
	type acc struct {
		n       int
		columns [3]int
	}
	byName := map[string]*acc{}
	for _, row := range g {
		for x, c := range row {
			name := colourName(c)
			a := byName[name]
			if a == nil {
				a = &acc{}
				byName[name] = a
			}
			a.n++
			a.columns[regionOf(x)]++
		}
	}
	var out []colourRegion
	for name, a := range byName {
		share := float64(a.n) / (gridW * gridH)
		if share < 0.08 {
			continue
		}
		where := "across the view"
		for i, n := range a.columns {
			if float64(n) >= 0.7*float64(a.n) {
				where = regionNames[i]
			}
		}
		out = append(out, colourRegion{Name: name, Share: math.Round(share*100) / 100, Where: where})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Share != out[j].Share {
			return out[i].Share > out[j].Share
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

var regionNames = [3]string{"on the left", "in the centre", "on the right"}

// regionOf maps a grid column to left (0), centre (1) or right (2).
func regionOf(x int) int {
	switch {
	case x < gridW*5/16:
		return 0
	case x < gridW*11/16:
		return 1
	}
	return 2
}

// changedRegions returns the share of changed cells and which regions changed.
func changedRegions(g, prev *grid) (float64, []string) {
	var perRegion, cells [3]int
	total := 0
	for y := range g {
		for x := range g[y] {
			a, b := g[y][x], prev[y][x]
			d := math.Sqrt((a.r-b.r)*(a.r-b.r) + (a.g-b.g)*(a.g-b.g) + (a.b-b.b)*(a.b-b.b))
			cells[regionOf(x)]++
			if d > cellChange {
				perRegion[regionOf(x)]++
				total++
			}
		}
	}
	var regions []string
	for i := range perRegion {
		if float64(perRegion[i]) >= regionChange*float64(cells[i]) {
			regions = append(regions, regionNames[i])
		}
	}
	return float64(total) / (gridW * gridH), regions
}

// joinWords joins phrases as "a", "a and b", "a, b and c".
func joinWords(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// colourName names a colour coarsely, as a person would at a glance.
func colourName(c cell) string {
	r, g, b := c.r/255, c.g/255, c.b/255
	hi, lo := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	l := (hi + lo) / 2
	sat := 0.0
	if hi != lo {
		sat = (hi - lo) / (1 - math.Abs(2*l-1))
	}
	switch {
	case l < 0.12:
		return "black"
	case sat < 0.18 && l > 0.85:
		return "white"
	case sat < 0.18:
		return "grey"
	}
	var hue float64
	switch hi {
	case r:
		hue = math.Mod((g-b)/(hi-lo), 6)
	case g:
		hue = (b-r)/(hi-lo) + 2
	default:
		hue = (r-g)/(hi-lo) + 4
	}
	hue *= 60
	if hue < 0 {
		hue += 360
	}
	switch {
	case hue < 15 || hue >= 340:
		return "red"
	case hue < 45:
		if l > 0.6 && sat < 0.6 {
			return "beige"
		}
		if l < 0.4 {
			return "brown"
		}
		return "orange"
	case hue < 70:
		if l > 0.6 && sat < 0.6 {
			return "beige"
		}
		return "yellow"
	case hue < 170:
		return "green"
	case hue < 200:
		return "cyan"
	case hue < 260:
		return "blue"
	case hue < 300:
		return "purple"
	}
	return "pink"
}
