package capture

import (
	"image"
	"image/color"
	"io"
	"sync"
	"time"
)

// demoScene is one stretch of the built-in demo: a background and some coloured boxes.
type demoScene struct {
	background color.RGBA
	boxes      []demoBox
}

type demoBox struct {
	rect  image.Rectangle // in a 16×9 grid
	color color.RGBA
}

// demoScenes are clearly different scenes a describer should tell apart: an object appears on
// the right, the lights go off and on, the colours change.
var demoScenes = []demoScene{
	{background: color.RGBA{225, 215, 190, 255}, boxes: []demoBox{{image.Rect(1, 3, 5, 8), color.RGBA{200, 30, 30, 255}}}},
	{background: color.RGBA{225, 215, 190, 255}, boxes: []demoBox{
		{image.Rect(1, 3, 5, 8), color.RGBA{200, 30, 30, 255}},
		{image.Rect(11, 2, 15, 8), color.RGBA{30, 60, 200, 255}},
	}},
	{background: color.RGBA{14, 12, 10, 255}},
	{background: color.RGBA{60, 140, 70, 255}, boxes: []demoBox{{image.Rect(6, 2, 10, 7), color.RGBA{240, 200, 40, 255}}}},
}

// demoSceneLength is how long each demo scene lasts.
const demoSceneLength = 5 * time.Second

// Demo is a generated demo "clip": a few scenes, each held for five seconds with sensor-like
// noise on every frame, looping. It needs no camera and no files. It is not a camera; it is
// announced as the demo wherever it is used.
type Demo struct {
	cfg    SourceConfig
	start  time.Time
	tick   *time.Ticker
	frames []*image.YCbCr // one rendered frame per scene
	out    *image.YCbCr   // the frame handed out, noise added
	seed   uint32
	once   sync.Once
	done   chan struct{}
}

// NewDemo returns the demo source at the configured size and frame rate.
func NewDemo(cfg SourceConfig) *Demo {
	cfg = cfg.withDefaults()
	d := &Demo{cfg: cfg, start: time.Now(), tick: time.NewTicker(frameInterval(cfg.FPS)), seed: 1, done: make(chan struct{})}
	for _, s := range demoScenes {
		d.frames = append(d.frames, renderScene(s, cfg.Width, cfg.Height))
	}
	d.out = image.NewYCbCr(image.Rect(0, 0, cfg.Width, cfg.Height), image.YCbCrSubsampleRatio420)
	return d
}

func renderScene(s demoScene, w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := s.background
			for _, b := range s.boxes {
				if (image.Point{x * 16 / w, y * 9 / h}).In(b.rect) {
					c = b.color
				}
			}
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			img.Y[img.YOffset(x, y)] = yy
			img.Cb[img.COffset(x, y)] = cb
			img.Cr[img.COffset(x, y)] = cr
		}
	}
	return img
}

// Read returns the current scene's next frame at the configured rate.
func (d *Demo) Read() (image.Image, func(), error) {
	select {
	case <-d.done:
		return nil, func() {}, io.EOF
	case <-d.tick.C:
	}
	scene := int(time.Since(d.start)/demoSceneLength) % len(d.frames)
	return d.withNoise(d.frames[scene]), func() {}, nil
}

// withNoise copies src into the frame handed out, adding sensor-like noise (±3) to its luma.
func (d *Demo) withNoise(src *image.YCbCr) *image.YCbCr {
	copy(d.out.Y, src.Y)
	copy(d.out.Cb, src.Cb)
	copy(d.out.Cr, src.Cr)
	for i := range d.out.Y {
		d.seed ^= d.seed << 13
		d.seed ^= d.seed >> 17
		d.seed ^= d.seed << 5
		d.out.Y[i] = clampAdd(d.out.Y[i], int(d.seed%7)-3)
	}
	return d.out
}

func clampAdd(v uint8, d int) uint8 {
	return uint8(min(255, max(0, int(v)+d)))
}

// Close stops the demo.
func (d *Demo) Close() error {
	d.once.Do(func() { d.tick.Stop(); close(d.done) })
	return nil
}

// SceneAt is the ground truth of the demo's scene changes, for measuring how soon a narrator
// reacts to one: the stretch shown at t (0 for the first scene, counting on through the loops;
// the picture is stretch modulo the number of scenes) and when that stretch began.
func (d *Demo) SceneAt(t time.Time) (stretch int, since time.Time) {
	stretch = max(0, int(t.Sub(d.start)/demoSceneLength))
	return stretch, d.start.Add(time.Duration(stretch) * demoSceneLength)
}

// Describe names the demo.
func (d *Demo) Describe() string { return "built-in demo scene (generated, no camera)" }
