package capture

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/redact"
)

// DefaultCamera is the bus name of the first source given without a NAME=.
const DefaultCamera = "cam0"

// Flags are the capture stage's command-line options: the sources and what is asked of them,
// and the stage's gate, sampling and frame preparation.
type Flags struct {
	Sources                     SourceList
	Camera                      string
	Width, Height               int
	FPS                         float64
	Loop                        bool
	Slide                       time.Duration
	Threshold, MaxEdge, Quality int
	Heartbeat                   time.Duration
	MinInterval, MaxAge         time.Duration
	MaxInterval                 time.Duration
}

// Register adds the capture flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.Var(&f.Sources, "source", "where frames come from (`SOURCE`): "+SourceForms+"; repeat it for several cameras, naming each NAME=SOURCE (default auto: the first camera, else the demo scene)")
	fs.StringVar(&f.Camera, "camera-name", DefaultCamera, "the bus name of the first --source without a NAME= (the others are cam1, cam2, …)")
	fs.IntVar(&f.Width, "width", DefaultWidth, "capture width asked of the camera; file and stream frames are scaled down to fit")
	fs.IntVar(&f.Height, "height", DefaultHeight, "capture height asked of the camera; file and stream frames are scaled down to fit")
	fs.Float64Var(&f.FPS, "fps", DefaultFPS, fmt.Sprintf("capture frame rate asked of the camera (above 0 up to %d); files and streams are decoded at most this fast", MaxFPS))
	fs.BoolVar(&f.Loop, "loop", false, "play file: and dir: sources again from the start when they end")
	fs.DurationVar(&f.Slide, "slide", DefaultSlideDuration, "how long a dir: source shows each image")
	fs.IntVar(&f.Threshold, "threshold", DefaultThreshold, "perceptual-hash distance (of 64 bits) that counts as a scene change")
	fs.DurationVar(&f.Heartbeat, "heartbeat", DefaultHeartbeat, "re-send an unchanged scene this often (0: never)")
	fs.DurationVar(&f.MinInterval, "min-interval", DefaultMinInterval, "least time between two frames sent per camera; the newest frame waits meanwhile (0: no minimum)")
	fs.DurationVar(&f.MaxInterval, "max-interval", DefaultMaxInterval, "while the model's descriptions of a moving scene keep repeating what was said, stretch --min-interval up to this (0: never)")
	fs.DurationVar(&f.MaxAge, "max-age", DefaultMaxAge, "drop, never send, a frame older than this (0: no limit)")
	fs.IntVar(&f.MaxEdge, "max-edge", DefaultMaxEdge, "scale frames so their long edge is at most this many pixels")
	fs.IntVar(&f.Quality, "quality", DefaultJPEGQuality, "JPEG quality of published frames, 1-100")
}

// SourceList collects repeated --source flags; empty means "auto".
type SourceList []string

func (s *SourceList) String() string { return strings.Join(*s, " ") }

// Set adds one --source.
func (s *SourceList) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty source: use one of %s", SourceForms)
	}
	*s = append(*s, v)
	return nil
}

// namedSource matches NAME=SOURCE, where NAME is a camera name and comes before any ':' or '/'.
var namedSource = regexp.MustCompile(`^([A-Za-z0-9_-]{1,64})=(.+)$`)

// NamedSource is one --source with the camera name it publishes under.
type NamedSource struct{ Name, Spec string }

// Cameras names each --source: NAME=SOURCE as given, the first unnamed one --camera-name,
// the others cam1, cam2, … by position. Names must differ.
func (f *Flags) Cameras() ([]NamedSource, error) {
	specs := f.Sources
	if len(specs) == 0 {
		specs = []string{"auto"}
	}
	var out []NamedSource
	seen := map[string]bool{}
	for i, v := range specs {
		c := NamedSource{Spec: v}
		if m := namedSource.FindStringSubmatch(v); m != nil {
			c.Name, c.Spec = m[1], m[2]
		} else if i == 0 {
			c.Name = f.Camera
		} else {
			c.Name = fmt.Sprintf("cam%d", i)
		}
		if err := bus.ValidateCamera(c.Name); err != nil {
			return nil, fmt.Errorf("--source %q: %w", redact.Truncate(redact.Text(v), maxEcho), err)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("--source %q: camera name %q is used twice; name each source NAME=SOURCE", redact.Truncate(redact.Text(v), maxEcho), c.Name)
		}
		seen[c.Name] = true
		out = append(out, c)
	}
	return out, nil
}

// Validate rejects out-of-range values and sources that cannot work (a mistyped form, a
// missing file, no ffmpeg) before anything starts: the configs' own checks, on the values as
// typed. A camera or stream that is down is not an error here: its stage retries it.
func (f *Flags) Validate() error {
	if f.Heartbeat < 0 || f.MinInterval < 0 || f.MaxAge < 0 || f.MaxInterval < 0 {
		return fmt.Errorf("--heartbeat %s, min-interval %s, max-interval %s, max-age %s: none can be negative", f.Heartbeat, f.MinInterval, f.MaxInterval, f.MaxAge)
	}
	if err := f.SourceConfig(nil).Validate(); err != nil {
		return fmt.Errorf("--%w", err)
	}
	if err := f.Config().Validate(); err != nil {
		return fmt.Errorf("--%w", err)
	}
	cams, err := f.Cameras()
	if err != nil {
		return err
	}
	for _, cam := range cams {
		if err := Check(cam.Spec, f.SourceConfig(nil)); err != nil {
			return fmt.Errorf("camera %s: %w", cam.Name, err)
		}
	}
	return nil
}

// SourceConfig is what every source is asked for.
func (f *Flags) SourceConfig(log *slog.Logger) SourceConfig {
	return SourceConfig{Width: f.Width, Height: f.Height, FPS: f.FPS, MaxEdge: f.MaxEdge, Loop: f.Loop, SlideDuration: f.Slide,
		StallTimeout: DefaultStallTimeout, Logger: log}
}

// Config is the stage's config without its source, camera name and outputs. A flag's 0 ("never",
// "no minimum", "no limit") is the config's Off.
func (f *Flags) Config() Config {
	return Config{
		MaxEdge: f.MaxEdge, JPEGQuality: f.Quality, Threshold: f.Threshold,
		Heartbeat: OffIfZero(f.Heartbeat), MinInterval: OffIfZero(f.MinInterval), MaxAge: OffIfZero(f.MaxAge), MaxInterval: OffIfZero(f.MaxInterval),
		Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff,
	}
}

// Build returns the capture stages of every camera, run as one group, each on its own
// connection to b. "auto" and "demo" are opened here (local and quick, and the start-up summary
// says whether auto fell back to the demo: chosen is told each camera's source, nil when its
// stage opens it); every other source is opened by its stage when it starts, and a source that
// is down, at start or later, is retried with backoff while the other cameras run. The group
// ends when every camera's source has ended for good.
func (f *Flags) Build(ctx context.Context, b *bus.Bus, counters *bus.Counters, log *slog.Logger, chosen func(NamedSource, Source)) (Group, error) {
	cams, err := f.Cameras()
	if err != nil {
		return nil, err
	}
	var group Group
	var opened []Source
	fail := func(err error) (Group, error) {
		for _, src := range opened {
			_ = src.Close()
		}
		return nil, err
	}
	for _, cam := range cams {
		clog := log.With("camera", cam.Name)
		cfg := f.SourceConfig(clog)
		var src Source
		if cam.Spec == "auto" || cam.Spec == "demo" {
			var note string
			if src, note, err = Open(ctx, cam.Spec, cfg); err != nil {
				return fail(fmt.Errorf("camera %s: %w", cam.Name, err))
			}
			opened = append(opened, src)
			if note != "" {
				clog.Info("source: chosen", "note", note)
			}
		}
		chosen(NamedSource{Name: cam.Name, Spec: redact.URL(cam.Spec)}, src)
		c, err := b.Connect("capture-" + cam.Name)
		if err != nil {
			return fail(err)
		}
		sc := f.Config()
		sc.Camera, sc.Spec, sc.Source, sc.Reopen = cam.Name, redact.URL(cam.Spec), src, Reopener(cam.Spec, cfg)
		sc.Counters, sc.Logger = counters, log
		s, err := New(c, sc)
		if err != nil {
			return fail(err)
		}
		group = append(group, s)
	}
	return group, nil
}

// OffIfZero maps a command-line duration, where 0 means off, to a Config's: Off for 0.
func OffIfZero(d time.Duration) time.Duration {
	if d == 0 {
		return Off
	}
	return d
}
