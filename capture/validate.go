package capture

import (
	"fmt"
	"math"
	"time"
)

// Source defaults and limits.
const (
	DefaultWidth         = 1280
	DefaultHeight        = 720
	DefaultFPS           = 15
	DefaultSlideDuration = 5 * time.Second
	DefaultStallTimeout  = 10 * time.Second
	// MaxFPS is the highest frame rate a source may be asked for.
	MaxFPS = 240
	// MaxSize is the largest capture width or height a source may be asked for (8K).
	MaxSize = 8192
)

// Stage defaults and limits.
const (
	DefaultMaxEdge     = 1024
	DefaultJPEGQuality = 80
	DefaultBackoff     = 500 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
	// DefaultHeartbeat, DefaultMinInterval and DefaultMaxAge are what a zero Config field
	// (and `narrator run`) asks of the stage; Off turns each off.
	DefaultHeartbeat   = 10 * time.Second
	DefaultMinInterval = 500 * time.Millisecond
	DefaultMaxAge      = 2 * time.Second
	// MinMaxEdge is the smallest long edge a published frame may be scaled to.
	MinMaxEdge = 16
)

// Validate checks every field as given (New and Open fill zero fields with their defaults
// first; a caller validating flags calls it on the values the user typed), so a NaN, infinite
// or absurd number is refused before anything starts.
func (c SourceConfig) Validate() error {
	switch {
	case c.Width < 1 || c.Width > MaxSize || c.Height < 1 || c.Height > MaxSize:
		return fmt.Errorf("width %d, height %d: use 1-%d pixels each", c.Width, c.Height, MaxSize)
	case !(c.FPS > 0 && c.FPS <= MaxFPS): // also refuses NaN
		return fmt.Errorf("fps %g: use a frame rate above 0 up to %d", c.FPS, MaxFPS)
	case c.SlideDuration <= 0:
		return fmt.Errorf("slide %s: use a positive duration", c.SlideDuration)
	case c.StallTimeout < 0:
		return fmt.Errorf("stall timeout %s: cannot be negative", c.StallTimeout)
	case c.MaxEdge != 0 && (c.MaxEdge < MinMaxEdge || c.MaxEdge > MaxSize):
		return fmt.Errorf("max-edge %d: use %d-%d pixels", c.MaxEdge, MinMaxEdge, MaxSize)
	}
	return nil
}

// Off, in a Config duration that has a default (Heartbeat, MinInterval, MaxInterval, MaxAge),
// turns that setting off; any negative value does. Zero is the default.
const Off = -1

// setting is the value in force of a setting with a default and an Off: zero is def, Off
// (any negative) is 0, off.
func setting(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Validate checks the stage's numbers as given (New fills zero fields with their defaults
// first). It does not look at Source, which is opened later.
func (c Config) Validate() error {
	switch {
	case c.JPEGQuality < 1 || c.JPEGQuality > 100:
		return fmt.Errorf("quality %d: use 1-100", c.JPEGQuality)
	case c.MaxEdge < MinMaxEdge || c.MaxEdge > MaxSize:
		return fmt.Errorf("max-edge %d: use %d-%d pixels (FastVLM reads %d)", c.MaxEdge, MinMaxEdge, MaxSize, DefaultMaxEdge)
	case c.Threshold < 1 || c.Threshold > 64:
		return fmt.Errorf("threshold %d: use 1-64 (bits of the 64-bit hash)", c.Threshold)
	case setting(c.MaxInterval, DefaultMaxInterval) > 0 && setting(c.MaxInterval, DefaultMaxInterval) < setting(c.MinInterval, DefaultMinInterval):
		return fmt.Errorf("max-interval %s is below min-interval %s: use 0 to turn the backoff off", setting(c.MaxInterval, DefaultMaxInterval), setting(c.MinInterval, DefaultMinInterval))
	case c.Backoff < 0 || c.MaxBackoff < 0:
		return fmt.Errorf("backoff %s, max backoff %s: neither can be negative", c.Backoff, c.MaxBackoff)
	}
	return nil
}

// frameInterval is the time between frames at fps; a rate that is not usable (NaN, zero,
// infinite, above MaxFPS) counts as the default or MaxFPS, so a source that cannot return an
// error (the demo) never ticks at a zero interval, which would panic.
func frameInterval(fps float64) time.Duration {
	if math.IsNaN(fps) || fps <= 0 || math.IsInf(fps, -1) {
		fps = DefaultFPS
	}
	return time.Duration(float64(time.Second) / min(fps, MaxFPS))
}
