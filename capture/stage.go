// Package capture reads frames from cameras and other sources, drops the ones that show nothing
// new (perceptual-hash dedup with a heartbeat), scales and JPEG-encodes the rest, and publishes
// them on the bus.
package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Config configures the capture stage.
type Config struct {
	// Camera names the camera on the bus (the last token of its subjects). Default: "cam0".
	Camera string
	// Source delivers the frames. Required. The stage closes it when Run returns.
	Source Source
	// MaxEdge bounds the long edge of published frames, in pixels. Default: 1024 (FastVLM's input).
	MaxEdge int
	// JPEGQuality is the JPEG quality, 1-100. Default: 80.
	JPEGQuality int
	// Threshold is the dHash distance that counts as a scene change. Default: 10.
	Threshold int
	// Heartbeat re-sends an unchanged scene this often. Zero: never (the CLI default is 10s).
	Heartbeat time.Duration
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stage publishes a source's new scenes as frames.
type Stage struct {
	cfg       Config
	conn      *bus.Conn
	gate      Gate
	seq       uint64
	read      *bus.Counter
	unchanged *bus.Counter
	sent      *bus.Counter
	failed    *bus.Counter
}

// New validates cfg and returns a stage publishing on conn.
func New(conn *bus.Conn, cfg Config) (*Stage, error) {
	if cfg.Source == nil {
		return nil, errors.New("capture: no source")
	}
	if cfg.Camera == "" {
		cfg.Camera = "cam0"
	}
	if err := bus.ValidateCamera(cfg.Camera); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if cfg.MaxEdge <= 0 {
		cfg.MaxEdge = 1024
	}
	if cfg.JPEGQuality <= 0 || cfg.JPEGQuality > 100 {
		cfg.JPEGQuality = 80
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "capture", "camera", cfg.Camera)
	c := cfg.Counters
	return &Stage{
		cfg:       cfg,
		conn:      conn,
		gate:      Gate{Threshold: cfg.Threshold, Heartbeat: cfg.Heartbeat},
		read:      c.Counter("capture.frames_read"),
		unchanged: c.Counter("capture.frames_unchanged"),
		sent:      c.Counter("capture.frames_sent"),
		failed:    c.Counter("capture.frames_failed"),
	}, nil
}

// Run reads and publishes frames until ctx ends or the source ends, then closes the source.
func (s *Stage) Run(ctx context.Context) error {
	defer s.cfg.Source.Close()
	s.cfg.Logger.Info("capturing", "source", s.cfg.Source.Describe())
	for ctx.Err() == nil {
		img, release, err := s.cfg.Source.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", s.cfg.Source.Describe(), err)
		}
		err = s.handle(img, time.Now())
		release()
		if err != nil {
			s.failed.Add(1)
			s.cfg.Logger.Warn("frame not published", "err", err)
		}
	}
	return nil
}

// handle gates, prepares and publishes one frame.
func (s *Stage) handle(img image.Image, now time.Time) error {
	s.read.Add(1)
	send, reason, distance := s.gate.Check(Sign(img), now)
	if !send {
		s.unchanged.Add(1)
		return nil
	}
	p, err := Prepare(img, s.cfg.MaxEdge, s.cfg.JPEGQuality, bus.MaxPayload-4096)
	if err != nil {
		return err
	}
	s.seq++
	f := bus.Frame{
		ID: bus.NewID(), Camera: s.cfg.Camera, Seq: s.seq, CapturedAt: now.UTC(),
		Width: p.Width, Height: p.Height, Reason: reason, Distance: distance, JPEG: p.JPEG,
	}
	if err := s.conn.PublishFrame(f); err != nil {
		return err
	}
	s.sent.Add(1)
	s.cfg.Logger.Debug("frame published", "seq", f.Seq, "reason", reason, "distance", distance, "bytes", len(p.JPEG))
	return nil
}
