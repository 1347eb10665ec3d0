package main

import (
	"flag"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
)

// captureOptions are the flags of the capture stage.
type captureOptions struct {
	sources                     sourceList
	camera                      string
	width, height               int
	fps                         float64
	loop                        bool
	slide                       time.Duration
	threshold, maxEdge, quality int
	heartbeat                   time.Duration
	minInterval, maxAge         time.Duration
}

func (o *captureOptions) register(fs *flag.FlagSet) {
	fs.Var(&o.sources, "source", "where frames come from (`SOURCE`): "+capture.SourceForms+"; repeat it for several cameras, naming each NAME=SOURCE (default auto: the first camera, else the demo scene)")
	fs.StringVar(&o.camera, "camera-name", "cam0", "the bus name of the first --source without a NAME= (the others are cam1, cam2, …)")
	fs.IntVar(&o.width, "width", 1280, "capture width asked of the camera; file and stream frames are scaled down to fit")
	fs.IntVar(&o.height, "height", 720, "capture height asked of the camera; file and stream frames are scaled down to fit")
	fs.Float64Var(&o.fps, "fps", 15, "capture frame rate asked of the camera; files and streams are decoded at most this fast")
	fs.BoolVar(&o.loop, "loop", false, "play file: and dir: sources again from the start when they end")
	fs.DurationVar(&o.slide, "slide", 5*time.Second, "how long a dir: source shows each image")
	fs.IntVar(&o.threshold, "threshold", capture.DefaultThreshold, "perceptual-hash distance (of 64 bits) that counts as a scene change")
	fs.DurationVar(&o.heartbeat, "heartbeat", 10*time.Second, "re-send an unchanged scene this often (0: never)")
	fs.DurationVar(&o.minInterval, "min-interval", 500*time.Millisecond, "least time between two frames sent per camera; the newest frame waits meanwhile (0: no minimum)")
	fs.DurationVar(&o.maxAge, "max-age", 2*time.Second, "drop, never send, a frame older than this (0: no limit)")
	fs.IntVar(&o.maxEdge, "max-edge", 1024, "scale frames so their long edge is at most this many pixels")
	fs.IntVar(&o.quality, "quality", 80, "JPEG quality of published frames, 1-100")
}

// sourceList collects repeated --source flags; empty means "auto".
type sourceList []string

func (s *sourceList) String() string { return strings.Join(*s, " ") }

func (s *sourceList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty source: use one of %s", capture.SourceForms)
	}
	*s = append(*s, v)
	return nil
}

// namedSource matches NAME=SOURCE, where NAME is a camera name and comes before any ':' or '/'.
var namedSource = regexp.MustCompile(`^([A-Za-z0-9_-]{1,64})=(.+)$`)

// cameraSource is one --source with the camera name it publishes under.
type cameraSource struct{ name, spec string }

// cameraSources names each --source: NAME=SOURCE as given, the first unnamed one --camera-name,
// the others cam1, cam2, … by position. Names must differ.
func (o *captureOptions) cameraSources() ([]cameraSource, error) {
	specs := o.sources
	if len(specs) == 0 {
		specs = []string{"auto"}
	}
	var out []cameraSource
	seen := map[string]bool{}
	for i, v := range specs {
		c := cameraSource{spec: v}
		if m := namedSource.FindStringSubmatch(v); m != nil {
			c.name, c.spec = m[1], m[2]
		} else if i == 0 {
			c.name = o.camera
		} else {
			c.name = fmt.Sprintf("cam%d", i)
		}
		if err := bus.ValidateCamera(c.name); err != nil {
			return nil, fmt.Errorf("--source %q: %w", v, err)
		}
		if seen[c.name] {
			return nil, fmt.Errorf("--source %q: camera name %q is used twice; name each source NAME=SOURCE", v, c.name)
		}
		seen[c.name] = true
		out = append(out, c)
	}
	return out, nil
}

// validate rejects values the capture stage would otherwise replace by its defaults.
func (o *captureOptions) validate() error {
	switch {
	case o.quality < 1 || o.quality > 100:
		return fmt.Errorf("--quality %d: use 1-100", o.quality)
	case o.maxEdge < 16:
		return fmt.Errorf("--max-edge %d: use at least 16 pixels (FastVLM reads 1024)", o.maxEdge)
	case o.threshold < 1 || o.threshold > 64:
		return fmt.Errorf("--threshold %d: use 1-64 (bits of the 64-bit hash)", o.threshold)
	case o.width < 1 || o.height < 1 || o.fps <= 0:
		return fmt.Errorf("--width, --height and --fps must be positive (got %dx%d at %g)", o.width, o.height, o.fps)
	case o.heartbeat < 0 || o.minInterval < 0 || o.maxAge < 0:
		return fmt.Errorf("--heartbeat, --min-interval and --max-age cannot be negative")
	}
	return nil
}

// stages opens every source and returns one capture stage per camera. A source that fails
// later is reopened by its stage.
func (o *captureOptions) stages(e env) ([]stage, error) {
	cams, err := o.cameraSources()
	if err != nil {
		return nil, err
	}
	cfg := capture.SourceConfig{Width: o.width, Height: o.height, FPS: o.fps, Loop: o.loop, SlideDuration: o.slide, Logger: e.log}
	var out []stage
	var opened []capture.Source
	fail := func(err error) ([]stage, error) {
		for _, src := range opened {
			_ = src.Close()
		}
		return nil, err
	}
	for _, cam := range cams {
		src, note, err := capture.Open(e.ctx, cam.spec, cfg)
		if err != nil {
			return fail(fmt.Errorf("camera %s: %w", cam.name, err))
		}
		opened = append(opened, src)
		e.chosenSource(cam.name, cam.spec, src)
		if note != "" {
			e.log.Info("source: chosen", "camera", cam.name, "note", note)
		}
		s, err := withConn(e.bus, "capture-"+cam.name, func(c *bus.Conn) (*capture.Stage, error) {
			return capture.New(c, capture.Config{
				Camera: cam.name, Source: src, Reopen: capture.Reopener(cam.spec, cfg),
				MaxEdge: o.maxEdge, JPEGQuality: o.quality, Threshold: o.threshold,
				Heartbeat: o.heartbeat, MinInterval: o.minInterval, MaxAge: o.maxAge,
				Counters: e.counters, Logger: e.log,
			})
		})
		if err != nil {
			return fail(err)
		}
		out = append(out, s)
	}
	return out, nil
}
