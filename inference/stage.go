package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Config configures the inference stage.
type Config struct {
	// Describer produces the descriptions. Required.
	Describer Describer
	// Subject is where frames are read. Default: bus.AllFrames (every camera).
	Subject string
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stage describes the newest frame whenever the describer is free. Frames that arrive while it
// is busy wait in a queue of one: a newer frame replaces the waiting one (counted as dropped).
type Stage struct {
	cfg       Config
	conn      *bus.Conn
	frames    *bus.Queue[bus.Frame]
	requests  *requests // describe-now and ask requests, and the narrator's prompt
	described *bus.Counter
	failed    *bus.Counter
}

// New subscribes to frames on conn. The subscription starts buffering at once.
func New(conn *bus.Conn, cfg Config) (*Stage, error) {
	if cfg.Describer == nil {
		return nil, errors.New("inference: no describer")
	}
	if cfg.Subject == "" {
		cfg.Subject = bus.AllFrames
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "inference", "backend", cfg.Describer.Info().Backend)
	frames, err := bus.SubscribeFrames(conn, cfg.Subject, bus.QueueConfig{
		Name: "inference.frames", Size: 1, Policy: bus.DropOldest, Counters: cfg.Counters,
		Group: bus.InferenceGroup,
	})
	if err != nil {
		return nil, fmt.Errorf("inference: %w", err)
	}
	reqs, err := newRequests(conn, cfg.Counters)
	if err != nil {
		frames.Close()
		return nil, fmt.Errorf("inference: %w", err)
	}
	return &Stage{
		cfg:       cfg,
		conn:      conn,
		frames:    frames,
		requests:  reqs,
		described: cfg.Counters.Counter("inference.described"),
		failed:    cfg.Counters.Counter("inference.failed"),
	}, nil
}

// Run describes frames until ctx ends. A describer that is a Runner runs alongside; if it
// fails, Run stops and returns its error.
func (s *Stage) Run(ctx context.Context) error {
	defer s.frames.Close()
	defer s.requests.start(ctx, s)()
	if r, ok := s.cfg.Describer.(Runner); ok {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		runErr := make(chan error, 1)
		go func() {
			runErr <- r.Run(ctx, s.conn)
			cancel()
		}()
		s.loop(ctx)
		cancel()
		return <-runErr
	}
	s.loop(ctx)
	return nil
}

// loop describes the newest frame whenever the describer is free, until ctx ends.
func (s *Stage) loop(ctx context.Context) {
	for {
		f, err := s.frames.Next(ctx)
		if err != nil {
			return
		}
		s.requests.remember(f)
		s.describe(ctx, f, bus.DescribeRequest{})
	}
}

// describe runs the describer on one frame and publishes its partial and final descriptions;
// req is the describe request it answers, if any, whose prompt it follows.
func (s *Stage) describe(ctx context.Context, f bus.Frame, req bus.DescribeRequest) {
	info := s.cfg.Describer.Info()
	d := bus.Description{
		ID: bus.NewID(), Camera: f.Camera, FrameID: f.ID, Backend: info.Backend, Model: info.Model,
		IsModel: info.IsModel, CapturedAt: f.CapturedAt, InferenceStartedAt: time.Now().UTC(),
		RequestID: req.ID,
	}
	partial := func(text string) {
		if d.FirstTokenAt.IsZero() {
			d.FirstTokenAt = time.Now().UTC()
		}
		p := d
		p.Partial, p.Text = true, text
		s.publish(p)
	}
	res, err := s.requests.call(ctx, s.cfg.Describer, f, req.Prompt, partial)
	d.CompletedAt = time.Now().UTC()
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		s.failed.Add(1)
		d.Error = err.Error()
		s.cfg.Logger.Warn("inference failed", "frame", f.ID, "err", err)
	} else {
		s.described.Add(1)
		d.Text, d.Metadata = res.Text, res.Metadata
		if !res.FirstTokenAt.IsZero() {
			d.FirstTokenAt = res.FirstTokenAt.UTC()
		}
		if d.FirstTokenAt.IsZero() {
			d.FirstTokenAt = d.CompletedAt
		}
	}
	s.publish(d)
}

func (s *Stage) publish(d bus.Description) {
	if err := s.conn.PublishEvent(bus.DescriptionSubject(d.Camera), d); err != nil {
		s.cfg.Logger.Warn("description not published", "err", err)
	}
}
