package reading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// StageConfig configures the reading stage.
type StageConfig struct {
	// Reader reads the frames; the stage closes it when Run returns. Required.
	Reader *Reader
	// Subject is where frames are read. Default: bus.AllFramesAndSettled (every camera's
	// frames and settled frames).
	Subject string
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stage reads text beside the scene describer (--read-text): it takes the same deduplicated
// frames on a subscription of its own, and the settled frames capture sends for it (it asks
// for them, askSettled), so it never waits for the describer nor makes it wait,
// reads the newest frame whenever it is free (a frame that arrives while it reads waits in a
// queue of one; a newer one replaces it, counted as reading.frames.dropped), and publishes a
// description with backend ocr only when a frame shows new text.
type Stage struct {
	cfg                StageConfig
	conn               *bus.Conn
	frames             *bus.Queue[bus.Frame]
	read, said, failed *bus.Counter
}

// NewStage subscribes to frames on conn; the subscription buffers from now on.
func NewStage(conn *bus.Conn, cfg StageConfig) (*Stage, error) {
	if cfg.Reader == nil {
		return nil, errors.New("reading: no reader")
	}
	if cfg.Subject == "" {
		cfg.Subject = bus.AllFramesAndSettled
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "reading")
	frames, err := bus.SubscribeFrames(conn, cfg.Subject, bus.QueueConfig{
		Name: "reading.frames", Size: 1, Policy: bus.DropOldest, Counters: cfg.Counters,
	})
	if err == nil {
		err = conn.Flush()
	}
	if err != nil {
		if frames != nil {
			_ = frames.Close()
		}
		return nil, fmt.Errorf("reading: %w", err)
	}
	return &Stage{
		cfg: cfg, conn: conn, frames: frames,
		read:   cfg.Counters.Counter(bus.CounterReadingRead),
		said:   cfg.Counters.Counter(bus.CounterReadingSaid),
		failed: cfg.Counters.Counter(bus.CounterReadingFailed),
	}, nil
}

// Run reads frames and answers read requests until ctx ends, then closes the reader. It asks
// capture for settled frames all along (askSettled).
func (s *Stage) Run(ctx context.Context) error {
	defer func() { _ = s.cfg.Reader.Close() }()
	s.run(ctx)
	return nil
}

// run reads frames, answers read requests and asks for settled frames until ctx ends.
func (s *Stage) run(ctx context.Context) {
	defer func() { _ = s.frames.Close() }()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Go(func() {
		if err := serveReads(ctx, s.conn, s.cfg.Reader, s.cfg.Counters, s.cfg.Logger); err != nil {
			s.cfg.Logger.Warn("read requests will not be answered", "err", err)
		}
	})
	wg.Go(func() { askSettled(ctx, s.conn, s.cfg.Logger) })
	for {
		f, err := s.frames.Next(ctx)
		if err != nil {
			return
		}
		s.readFrame(ctx, f)
	}
}

// readFrame reads one frame and publishes what is new of its text.
func (s *Stage) readFrame(ctx context.Context, f bus.Frame) {
	start := time.Now().UTC()
	rd, err := s.cfg.Reader.Read(ctx, f, start)
	if err != nil {
		if ctx.Err() == nil {
			s.failed.Add(1)
			s.cfg.Logger.Warn("frame not read", "frame", f.ID, "err", err)
		}
		return
	}
	s.read.Add(1)
	if rd.Text == "" {
		return
	}
	s.said.Add(1)
	now := time.Now().UTC()
	d := bus.Description{
		ID: bus.NewID(), Camera: f.Camera, FrameID: f.ID, FrameReason: f.Reason, FrameDistance: f.Distance,
		Text: rd.Text, Backend: bus.BackendOCR, Model: s.cfg.Reader.Model(), IsModel: true,
		CapturedAt: f.CapturedAt, InferenceStartedAt: start, FirstTokenAt: now, CompletedAt: now,
		Metadata: rd.Metadata(),
	}
	if err := s.conn.PublishEvent(bus.DescriptionSubject(f.Camera), d); err != nil {
		s.cfg.Logger.Warn("reading not published", "err", err)
	}
}
