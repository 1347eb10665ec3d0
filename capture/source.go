package capture

import (
	"errors"
	"fmt"
	"image"
	"strings"
)

// Source delivers frames, one Read at a time, from a single goroutine.
type Source interface {
	// Read blocks until the next frame. The image is valid until release is called.
	Read() (img image.Image, release func(), err error)
	// Close stops the source; a blocked Read returns io.EOF or an error.
	Close() error
	// Describe says what the source is, for logs and announcements.
	Describe() string
}

// ErrNoCamera is returned when a camera is asked for and none is found.
var ErrNoCamera = errors.New("no camera found")

// SourceConfig is what every source is asked for.
type SourceConfig struct {
	// Width and Height are the requested capture size. Default: 1280×720.
	Width, Height int
	// FPS is the requested frame rate. Default: 15.
	FPS float64
}

func (c SourceConfig) withDefaults() SourceConfig {
	if c.Width <= 0 || c.Height <= 0 {
		c.Width, c.Height = 1280, 720
	}
	if c.FPS <= 0 {
		c.FPS = 15
	}
	return c
}

// SourceForms lists the --source forms, for help and errors.
const SourceForms = "auto, test, demo, camera, camera:INDEX, camera:NAME"

// Open opens the source named by spec (see SourceForms). For "auto" it returns the first
// camera, or the demo scene when there is none, and says which in the returned note.
func Open(spec string, cfg SourceConfig) (src Source, note string, err error) {
	cfg = cfg.withDefaults()
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
	}
	return nil, "", fmt.Errorf("unknown source %q: valid forms are %s; cameras found: %s", spec, SourceForms, cameraList())
}
