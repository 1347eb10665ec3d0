package capture

import (
	"context"
	"errors"
	"image"
	"log/slog"
	"strings"
	"time"
)

// Source delivers frames, one Read at a time, from a single goroutine.
type Source interface {
	// Read blocks until the next frame. The image is valid until release is called. It
	// returns io.EOF when the source ended normally (a file played to its end).
	Read() (img image.Image, release func(), err error)
	// Close stops the source; a blocked Read returns io.EOF or an error. It may be called
	// from another goroutine while Read blocks, and more than once.
	Close() error
	// Describe says what the source is, for logs and announcements.
	Describe() string
}

// Keeper is a Source whose frames can be kept without a copy. Keep, called between Read and
// the next Read (before release), hands over the image Read returned, and takes spare, an image
// Keep returned earlier that its holder no longer needs (or nil), to read later frames into.
type Keeper interface {
	Keep(spare image.Image) image.Image
}

// ErrNoCamera is returned when a camera is asked for and none is found.
var ErrNoCamera = errors.New("no camera found")

// ErrUnknownSource is returned for a --source value of no known form.
var ErrUnknownSource = errors.New("unknown source")

// maxEcho bounds how much of a bad value an error repeats.
const maxEcho = 200

// SourceConfig is what every source is asked for.
type SourceConfig struct {
	// Width and Height are the requested capture size; ffmpeg sources are scaled down to fit
	// inside it, never up. Default: 1280×720.
	Width, Height int
	// FPS is the requested frame rate; ffmpeg sources deliver at most this many. Default: 15.
	FPS float64
	// MaxEdge bounds the long edge of the frames ffmpeg sources (file:, streams) deliver: set
	// it to the stage's Config.MaxEdge, the published size, and ffmpeg scales to it instead of
	// sending larger frames that the stage scales down (a 720p frame is 1.38 MB through the
	// pipe, at 1024×576 0.88 MB). Default: 0, Width×Height alone.
	MaxEdge int
	// Loop restarts file: and dir: sources at their end instead of ending. Default: false.
	Loop bool
	// SlideDuration is how long a dir: source shows each image. Default: 5s.
	SlideDuration time.Duration
	// FFmpeg is the ffmpeg binary, a name looked up in PATH or a path. Default: "ffmpeg".
	FFmpeg string
	// StallTimeout is how long an ffmpeg source may go without a frame before it is killed
	// and counted as failed. Default: 10s.
	StallTimeout time.Duration
	// Logger is where sources log what they skip. Default: slog.Default().
	Logger *slog.Logger
}

func (c SourceConfig) withDefaults() SourceConfig {
	if c.Width <= 0 || c.Height <= 0 {
		c.Width, c.Height = DefaultWidth, DefaultHeight
	}
	c.Width, c.Height = min(max(2, c.Width), MaxSize), min(max(2, c.Height), MaxSize)
	if c.FPS <= 0 {
		c.FPS = DefaultFPS
	}
	if c.SlideDuration <= 0 {
		c.SlideDuration = DefaultSlideDuration
	}
	if c.FFmpeg == "" {
		c.FFmpeg = "ffmpeg"
	}
	if c.StallTimeout <= 0 {
		c.StallTimeout = DefaultStallTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// SourceForms lists the --source forms, for help and errors.
const SourceForms = "auto, demo, test, camera, camera:INDEX, camera:NAME, file:PATH, dir:PATH, rtsp://…, http(s)://…"

// Open opens the source named by spec (see SourceForms), giving up when ctx ends. For "auto"
// it returns the first camera, or the demo scene when there is none, and says which in the
// returned note. An unknown spec is ErrUnknownSource, with the valid forms and the cameras
// found. Errors that retrying cannot fix (see Check; a file that is not a video) wrap
// ErrPermanent.
func Open(ctx context.Context, spec string, cfg SourceConfig) (src Source, note string, err error) {
	cfg = cfg.withDefaults()
	if err := Check(spec, cfg); err != nil {
		return nil, "", err
	}
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "auto", "":
		src, err := openCamera("", cfg)
		if errors.Is(err, ErrNoCamera) {
			return NewDemo(cfg), "no camera found, narrating the built-in demo scene (--source demo)", nil
		}
		if err != nil {
			return nil, "", err
		}
		return src, "using " + src.Describe(), nil
	case "test":
		src, err := openTestPattern(cfg)
		return src, "", err
	case "demo":
		return NewDemo(cfg), "", nil
	case "camera":
		src, err := openCamera(arg, cfg)
		return src, "", err
	case "file":
		src, err := openFile(ctx, arg, cfg)
		return src, "", permanentUnlessCancelled(ctx, err)
	case "dir":
		src, err := openDir(ctx, arg, cfg)
		return src, "", permanentUnlessCancelled(ctx, err)
	}
	src, err = openStream(ctx, spec, cfg) // Check let only streams through
	return src, "", err
}

// Reopener returns the function the capture stage calls to open the source named by spec when
// it was not opened before the stage started, and to reopen it after it failed. "auto"
// reopens the first camera (the demo it may fall back to never fails).
func Reopener(spec string, cfg SourceConfig) func(ctx context.Context) (Source, error) {
	if spec == "auto" || spec == "" {
		spec = "camera"
	}
	return func(ctx context.Context) (Source, error) {
		src, _, err := Open(ctx, spec, cfg)
		return src, err
	}
}
