package main

import (
	"flag"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/internal/redact"
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
	maxInterval                 time.Duration
	// drained: a source that ends does not end the run; the drain part does, once what was
	// in flight was said (run, describe).
	drained bool
}

func (o *captureOptions) register(fs *flag.FlagSet) {
	fs.Var(&o.sources, "source", "where frames come from (`SOURCE`): "+capture.SourceForms+"; repeat it for several cameras, naming each NAME=SOURCE (default auto: the first camera, else the demo scene)")
	fs.StringVar(&o.camera, "camera-name", "cam0", "the bus name of the first --source without a NAME= (the others are cam1, cam2, …)")
	fs.IntVar(&o.width, "width", capture.DefaultWidth, "capture width asked of the camera; file and stream frames are scaled down to fit")
	fs.IntVar(&o.height, "height", capture.DefaultHeight, "capture height asked of the camera; file and stream frames are scaled down to fit")
	fs.Float64Var(&o.fps, "fps", capture.DefaultFPS, fmt.Sprintf("capture frame rate asked of the camera (above 0 up to %d); files and streams are decoded at most this fast", capture.MaxFPS))
	fs.BoolVar(&o.loop, "loop", false, "play file: and dir: sources again from the start when they end")
	fs.DurationVar(&o.slide, "slide", capture.DefaultSlideDuration, "how long a dir: source shows each image")
	fs.IntVar(&o.threshold, "threshold", capture.DefaultThreshold, "perceptual-hash distance (of 64 bits) that counts as a scene change")
	fs.DurationVar(&o.heartbeat, "heartbeat", capture.DefaultHeartbeat, "re-send an unchanged scene this often (0: never)")
	fs.DurationVar(&o.minInterval, "min-interval", capture.DefaultMinInterval, "least time between two frames sent per camera; the newest frame waits meanwhile (0: no minimum)")
	fs.DurationVar(&o.maxInterval, "max-interval", capture.DefaultMaxInterval, "while the model's descriptions of a moving scene keep repeating what was said, stretch --min-interval up to this (0: never)")
	fs.DurationVar(&o.maxAge, "max-age", capture.DefaultMaxAge, "drop, never send, a frame older than this (0: no limit)")
	fs.IntVar(&o.maxEdge, "max-edge", capture.DefaultMaxEdge, "scale frames so their long edge is at most this many pixels")
	fs.IntVar(&o.quality, "quality", capture.DefaultJPEGQuality, "JPEG quality of published frames, 1-100")
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
			return nil, fmt.Errorf("--source %q: %w", redact.Truncate(redact.Text(v), 200), err)
		}
		if seen[c.name] {
			return nil, fmt.Errorf("--source %q: camera name %q is used twice; name each source NAME=SOURCE", redact.Truncate(redact.Text(v), 200), c.name)
		}
		seen[c.name] = true
		out = append(out, c)
	}
	return out, nil
}

// validate rejects out-of-range values and sources that cannot work (a mistyped form, a
// missing file, no ffmpeg) before anything starts: the packages' own checks, on the values as
// typed. A camera or stream that is down is not an error here: its stage retries it.
func (o *captureOptions) validate(*common) error {
	if err := o.sourceConfig(nil).Validate(); err != nil {
		return fmt.Errorf("--%w", err)
	}
	if err := o.stageConfig().Validate(); err != nil {
		return fmt.Errorf("--%w", err)
	}
	cams, err := o.cameraSources()
	if err != nil {
		return err
	}
	for _, cam := range cams {
		if err := capture.Check(cam.spec, o.sourceConfig(nil)); err != nil {
			return fmt.Errorf("camera %s: %w", cam.name, err)
		}
	}
	return nil
}

// sourceConfig is what every source of this stage is asked for.
func (o *captureOptions) sourceConfig(log *slog.Logger) capture.SourceConfig {
	return capture.SourceConfig{Width: o.width, Height: o.height, FPS: o.fps, Loop: o.loop, SlideDuration: o.slide,
		StallTimeout: capture.DefaultStallTimeout, Logger: log}
}

// stageConfig is the capture stage's config without its source, camera name and outputs.
func (o *captureOptions) stageConfig() capture.Config {
	return capture.Config{
		MaxEdge: o.maxEdge, JPEGQuality: o.quality, Threshold: o.threshold,
		Heartbeat: o.heartbeat, MinInterval: o.minInterval, MaxAge: o.maxAge, MaxInterval: o.maxInterval,
		Backoff: capture.DefaultBackoff, MaxBackoff: capture.DefaultMaxBackoff,
	}
}

// build returns the capture stages of every camera, run as one group. "auto" and "demo" are
// opened here (local and quick, and the start-up summary says whether auto fell back to the
// demo); every other source is opened by its stage when it starts, and a source that is down,
// at start or later, is retried with backoff while the other cameras run. The run ends when
// every camera's source has ended for good.
func (o *captureOptions) build(e env) ([]stage, error) {
	cams, err := o.cameraSources()
	if err != nil {
		return nil, err
	}
	var group capture.Group
	var opened []capture.Source
	fail := func(err error) ([]stage, error) {
		for _, src := range opened {
			_ = src.Close()
		}
		return nil, err
	}
	for _, cam := range cams {
		log := e.log.With("camera", cam.name)
		cfg := o.sourceConfig(log)
		var src capture.Source
		if cam.spec == "auto" || cam.spec == "demo" {
			var note string
			if src, note, err = capture.Open(e.ctx, cam.spec, cfg); err != nil {
				return fail(fmt.Errorf("camera %s: %w", cam.name, err))
			}
			opened = append(opened, src)
			if note != "" {
				log.Info("source: chosen", "note", note)
			}
		}
		e.chosenSource(cam.name, redact.URL(cam.spec), src)
		s, err := withConn(e.bus, "capture-"+cam.name, func(c *bus.Conn) (*capture.Stage, error) {
			sc := o.stageConfig()
			sc.Camera, sc.Spec, sc.Source, sc.Reopen = cam.name, redact.URL(cam.spec), src, capture.Reopener(cam.spec, cfg)
			sc.Counters, sc.Logger = e.counters, e.log
			return capture.New(c, sc)
		})
		if err != nil {
			return fail(err)
		}
		group = append(group, s)
	}
	if o.drained {
		return []stage{untilCancelled(group)}, nil
	}
	return []stage{group}, nil
}
