package bench

import (
	"image"
	"image/color"
	"io"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/capture"
)

// groundTruth is a generated clip that knows when each of its scenes began.
type groundTruth interface {
	// SceneAt is the scene shown at t (counting from 0) and when it began.
	SceneAt(t time.Time) (scene int, since time.Time)
}

// MotionSource is the source name of the built-in motion clip.
const MotionSource = "motion"

// motionClip is a generated clip for measuring novelty-aware sampling: a still room (the first
// sixth of its length), a blue ball rolling to and fro across it (two thirds: continuous motion,
// every frame different, the scene the same), then the lights going off (the last sixth: a
// real change). Every frame has sensor-like noise. It is not a camera and says so.
type motionClip struct {
	cfg      capture.SourceConfig
	start    time.Time
	length   time.Duration
	tick     *time.Ticker
	room     *image.YCbCr
	dark     *image.YCbCr
	out      *image.YCbCr
	seed     uint32
	once     sync.Once
	done     chan struct{}
	ballSize int
}

func newMotionClip(cfg capture.SourceConfig, length time.Duration) *motionClip {
	if cfg.Width <= 0 || cfg.Height <= 0 {
		cfg.Width, cfg.Height = 1280, 720
	}
	if cfg.FPS <= 0 {
		cfg.FPS = 15
	}
	m := &motionClip{cfg: cfg, start: time.Now(), length: length, seed: 1, done: make(chan struct{}),
		tick: time.NewTicker(time.Duration(float64(time.Second) / cfg.FPS)), ballSize: cfg.Height / 6}
	m.room = fill(cfg.Width, cfg.Height, color.RGBA{225, 215, 190, 255})
	m.dark = fill(cfg.Width, cfg.Height, color.RGBA{14, 12, 10, 255})
	m.out = image.NewYCbCr(image.Rect(0, 0, cfg.Width, cfg.Height), image.YCbCrSubsampleRatio420)
	return m
}

func fill(w, h int, c color.RGBA) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
	for i := range img.Y {
		img.Y[i] = y
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = cb, cr
	}
	return img
}

// SceneAt is the ground truth: 0 the still room, 1 the rolling ball, 2 the dark room.
func (m *motionClip) SceneAt(t time.Time) (int, time.Time) {
	since := t.Sub(m.start)
	switch {
	case since < m.length/6:
		return 0, m.start
	case since < m.length*5/6:
		return 1, m.start.Add(m.length / 6)
	}
	return 2, m.start.Add(m.length * 5 / 6)
}

// Read returns the next frame at the configured rate.
func (m *motionClip) Read() (image.Image, func(), error) {
	select {
	case <-m.done:
		return nil, func() {}, io.EOF
	case <-m.tick.C:
	}
	now := time.Now()
	scene, since := m.SceneAt(now)
	switch scene {
	case 0:
		m.copyNoisy(m.room)
	case 1:
		m.copyNoisy(m.room)
		m.drawBall(now.Sub(since))
	default:
		m.copyNoisy(m.dark)
	}
	return m.out, func() {}, nil
}

// drawBall draws the ball where it is after rolling for d: it crosses the room and back every
// four seconds.
func (m *motionClip) drawBall(d time.Duration) {
	span := m.cfg.Width - m.ballSize
	pos := int(d%(4*time.Second)) * 2 * span / int(4*time.Second)
	if pos > span {
		pos = 2*span - pos
	}
	y0 := m.cfg.Height/2 - m.ballSize/2
	yy, cb, cr := color.RGBToYCbCr(30, 60, 200)
	r2 := m.ballSize * m.ballSize / 4
	for y := y0; y < y0+m.ballSize; y++ {
		for x := pos; x < pos+m.ballSize; x++ {
			dx, dy := x-pos-m.ballSize/2, y-y0-m.ballSize/2
			if dx*dx+dy*dy > r2 {
				continue
			}
			m.out.Y[m.out.YOffset(x, y)] = yy
			m.out.Cb[m.out.COffset(x, y)] = cb
			m.out.Cr[m.out.COffset(x, y)] = cr
		}
	}
}

// copyNoisy copies src into the frame handed out with ±3 of noise on its luma.
func (m *motionClip) copyNoisy(src *image.YCbCr) {
	copy(m.out.Cb, src.Cb)
	copy(m.out.Cr, src.Cr)
	for i, v := range src.Y {
		m.seed ^= m.seed << 13
		m.seed ^= m.seed >> 17
		m.seed ^= m.seed << 5
		m.out.Y[i] = uint8(min(255, max(0, int(v)+int(m.seed%7)-3)))
	}
}

// Close stops the clip.
func (m *motionClip) Close() error {
	m.once.Do(func() { m.tick.Stop(); close(m.done) })
	return nil
}

// Describe names the clip.
func (m *motionClip) Describe() string {
	return "built-in motion clip (generated: a still room, a ball rolling across it, the lights going off)"
}

// motionScript is what the simulated model says about each scene of the motion clip. On the
// rolling ball it repeats itself in other words, as vision models do on continuous motion: the
// scene is the same, only the ball's place changes.
var motionScript = [][]string{
	{"A beige room with bare walls."},
	{"A blue ball rolls across a beige room.", "A blue ball is rolling across the beige room.", "The blue ball rolls through a beige room."},
	{"The room is dark."},
}
