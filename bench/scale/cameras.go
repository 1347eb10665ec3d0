package scale

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// change is one scene change of a synthetic camera: its frame was published at At.
type change struct {
	Camera string
	Scene  int
	At     time.Time
}

// cameras are M synthetic cameras: each publishes a tiny JPEG frame (16×16, a flat colour per
// scene, the frame's ID in its comment) at each scene change and nothing between, as capture
// does for a still scene. They cost next to nothing, so many fit on a small machine.
type cameras struct {
	cfg     Config
	conn    *bus.Conn
	palette [][]byte // a JPEG per colour
	mu      sync.Mutex
	changes []change
}

func newCameras(cfg Config, conn *bus.Conn) *cameras {
	c := &cameras{cfg: cfg, conn: conn}
	for i := range 8 {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		col := color.RGBA{R: uint8(40 * i), G: uint8(255 - 30*i), B: uint8(90 + 20*i), A: 255}
		for p := 0; p < len(img.Pix); p += 4 {
			img.Pix[p], img.Pix[p+1], img.Pix[p+2], img.Pix[p+3] = col.R, col.G, col.B, col.A
		}
		var buf bytes.Buffer
		_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}) // writing to memory cannot fail
		c.palette = append(c.palette, buf.Bytes())
	}
	return c
}

// run publishes every camera's changes until ctx ends.
func (c *cameras) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range c.cfg.Cameras {
		rng := rand.New(rand.NewPCG(c.cfg.Seed, uint64(i)))
		name := fmt.Sprintf("cam%02d", i+1)
		wg.Go(func() { c.camera(ctx, name, rng) })
	}
	wg.Wait()
}

// camera publishes one camera's changes: the first at a random moment of the first interval.
func (c *cameras) camera(ctx context.Context, name string, rng *rand.Rand) {
	wait := time.Duration(rng.Int64N(int64(c.cfg.ChangeEvery)))
	for scene := 1; ; scene++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		id := fmt.Sprintf("%s-%d", name, scene)
		reason := bus.FrameChanged
		if scene == 1 {
			reason = bus.FrameFirst
		}
		now := time.Now()
		f := bus.Frame{ID: id, Camera: name, Seq: uint64(scene), CapturedAt: now.UTC(), Width: 16, Height: 16,
			Reason: reason, Distance: 32, JPEG: withComment(c.palette[scene%len(c.palette)], id)}
		if err := c.conn.PublishFrame(f); err != nil {
			c.cfg.Logger.Warn("scale: frame not published", "camera", name, "err", err)
		} else {
			c.mu.Lock()
			c.changes = append(c.changes, change{Camera: name, Scene: scene, At: now})
			c.mu.Unlock()
		}
		wait = jitter(rng, c.cfg.ChangeEvery)
	}
}

// log returns the changes published so far.
func (c *cameras) log() []change {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]change(nil), c.changes...)
}
