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
	// Preempt cancels generations for scenes that are gone: when a frame of the same camera
	// whose scene changed (Reason "changed", Distance at least PreemptDistance) arrives while
	// the describer still works on an older frame, that generation is cancelled (its context
	// ends), published as a final description with Cancelled set, and the new frame is
	// described at once. Answers to describe requests are never preempted, nor is the
	// generation that replaced a preempted one, so a scene that keeps changing is still
	// described. Default: false (the CLI default is on).
	Preempt bool
	// PreemptDistance is the least hash distance (of 64 bits) of a changed frame that
	// preempts. Default: 0, every frame the capture gate calls a scene change.
	PreemptDistance int
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
	cancelled *bus.Counter // generations preempted by a scene change
	replaced  *bus.Counter // frames replaced by a newer one while the describer was busy
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
		_ = frames.Close()
		return nil, fmt.Errorf("inference: %w", err)
	}
	return &Stage{
		cfg:       cfg,
		conn:      conn,
		frames:    frames,
		requests:  reqs,
		described: cfg.Counters.Counter("inference.described"),
		failed:    cfg.Counters.Counter("inference.failed"),
		cancelled: cfg.Counters.Counter("inference.cancelled"),
		replaced:  cfg.Counters.Counter("inference.frames.dropped"),
	}, nil
}

// Run describes frames until ctx ends. A describer that is a Runner runs alongside; if it
// fails, Run stops and returns its error.
func (s *Stage) Run(ctx context.Context) error {
	defer func() { _ = s.frames.Close() }()
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
	var next *bus.Frame // the newest frame that arrived during the last generation
	preemptible := true // false right after a preemption
	for {
		var f bus.Frame
		if next != nil {
			f, next = *next, nil
		} else {
			var err error
			if f, err = s.frames.Next(ctx); err != nil {
				return
			}
			s.requests.remember(f)
		}
		if !s.cfg.Preempt {
			s.describe(ctx, f, bus.DescribeRequest{})
			continue
		}
		var cancelled bool
		next, cancelled = s.describeWatching(ctx, f, preemptible)
		preemptible = !cancelled
	}
}

// preemption is why a generation was cancelled: a frame showed a new scene.
type preemption struct{ by bus.Frame }

func (p *preemption) Error() string {
	return fmt.Sprintf("preempted by frame %s (scene changed, distance %d)", p.by.ID, p.by.Distance)
}

// describeWatching describes f while taking the frames that arrive meanwhile, keeping the
// newest. If preemptible and one of them shows a new scene of f's camera, the generation is
// cancelled. It returns the newest frame that arrived, if any, and whether f's generation was
// cancelled.
func (s *Stage) describeWatching(ctx context.Context, f bus.Frame, preemptible bool) (*bus.Frame, bool) {
	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wctx, stopWatching := context.WithCancel(ctx)
	newest := make(chan *bus.Frame, 1)
	go func() {
		var held *bus.Frame
		defer func() { newest <- held }()
		for {
			nf, err := s.frames.Next(wctx)
			if err != nil {
				return
			}
			s.requests.remember(nf)
			if held != nil {
				s.replaced.Add(1)
			}
			held = &nf
			if preemptible && nf.Camera == f.Camera && nf.Reason == bus.FrameChanged && nf.Distance >= s.cfg.PreemptDistance {
				cancel(&preemption{by: nf})
				return
			}
		}
	}()
	cancelled := s.describe(gctx, f, bus.DescribeRequest{})
	stopWatching()
	return <-newest, cancelled
}

// describe runs the describer on one frame and publishes its partial and final descriptions;
// req is the describe request it answers, if any, whose prompt it follows. It reports whether
// the generation was preempted (ctx cancelled with a *preemption cause).
func (s *Stage) describe(ctx context.Context, f bus.Frame, req bus.DescribeRequest) (cancelled bool) {
	info := s.cfg.Describer.Info()
	d := bus.Description{
		ID: bus.NewID(), Camera: f.Camera, FrameID: f.ID, FrameReason: f.Reason, FrameDistance: f.Distance,
		Backend: info.Backend, Model: info.Model,
		IsModel: info.IsModel, CapturedAt: f.CapturedAt, InferenceStartedAt: time.Now().UTC(),
		RequestID: req.ID,
	}
	var said string // the text so far
	partial := func(text string) {
		if d.FirstTokenAt.IsZero() {
			d.FirstTokenAt = time.Now().UTC()
		}
		said = text
		p := d
		p.Partial, p.Text = true, text
		s.publish(p)
	}
	res, err := s.requests.call(ctx, s.cfg.Describer, f, req.Prompt, partial)
	d.CompletedAt = time.Now().UTC()
	var pre *preemption
	if err != nil && errors.As(context.Cause(ctx), &pre) {
		s.cancelled.Add(1)
		d.Cancelled, d.Text = pre.Error(), said
		d.Error = "cancelled: " + d.Cancelled
		s.cfg.Logger.Debug("generation cancelled", "frame", f.ID, "reason", d.Cancelled)
		s.publish(d)
		return true
	}
	if err != nil {
		if ctx.Err() != nil {
			return false
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
	return false
}

func (s *Stage) publish(d bus.Description) {
	if err := s.conn.PublishEvent(bus.DescriptionSubject(d.Camera), d); err != nil {
		s.cfg.Logger.Warn("description not published", "err", err)
	}
}
