// Package capture reads frames from cameras and other sources, drops the ones that show nothing
// new (perceptual-hash dedup with a heartbeat), keeps only the newest of the rest (a latest-wins
// sampler with a minimum interval and a maximum age), scales and JPEG-encodes them, and
// publishes them on the bus. Sources that fail are reopened with capped backoff, and their
// going down and coming back are published as events.
package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/backoff"
	"github.com/narrator-dev/narrator/internal/ratelog"
	"github.com/narrator-dev/narrator/internal/redact"
)

// Config configures the capture stage.
type Config struct {
	// Camera names the camera on the bus (the last token of its subjects). Default: "cam0".
	Camera string
	// Source delivers the frames. The stage closes it when Run returns. Default: nil, Run opens
	// the source with Reopen, and a source down at start is retried like one that failed.
	Source Source
	// Reopen opens the source (again, after it failed). An error that wraps ErrPermanent
	// (no such file, an unknown source form) is not retried: it ends Run. Default: nil, a
	// failed source ends Run with its error (then Source is required).
	Reopen func(ctx context.Context) (Source, error)
	// Spec names the source in events and logs before it has opened (a --source value, its
	// secrets masked). Default: "source".
	Spec string
	// MaxEdge bounds the long edge of published frames, in pixels, 16-8192. Default:
	// DefaultMaxEdge (FastVLM's input).
	MaxEdge int
	// JPEGQuality is the JPEG quality, 1-100. Default: DefaultJPEGQuality.
	JPEGQuality int
	// Threshold is the dHash distance that counts as a scene change. Default: DefaultThreshold.
	Threshold int
	// Heartbeat re-sends an unchanged scene this often. Default: DefaultHeartbeat; Off: never.
	Heartbeat time.Duration
	// MinInterval is the least time between two published frames; newer frames replace the
	// one waiting meanwhile. Default: DefaultMinInterval; Off: no minimum.
	MinInterval time.Duration
	// MaxInterval is the ceiling of novelty-aware sampling: while the narrator suppresses the
	// camera's descriptions as repeats (decisions on the bus), the least time between frames
	// doubles from MinInterval up to this; a description said, a large change or a scene that
	// settles brings it back at once. Default: DefaultMaxInterval; Off: no backoff.
	MaxInterval time.Duration
	// MaxAge drops a frame that waited longer than this since the source delivered it.
	// Default: DefaultMaxAge; Off: no limit.
	MaxAge time.Duration
	// Backoff is the first wait before reopening a failed source; it doubles on each failure
	// up to MaxBackoff. Default: 500ms.
	Backoff time.Duration
	// MaxBackoff caps the wait between reopen attempts. Default: 10s.
	MaxBackoff time.Duration
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stage publishes a source's new scenes as frames.
type Stage struct {
	cfg      Config
	conn     *bus.Conn
	sampler  *sampler
	preparer preparer
	seq      uint64
	read     *bus.Counter
	sent     *bus.Counter
	failed   *bus.Counter
	bad      *bus.Counter
	restarts *bus.Counter
	reopens  *bus.Counter
	// reopenFailed and notPublished hold back repeated warnings.
	reopenFailed, notPublished *ratelog.Limiter
	// decisions are the narrator's, read for novelty-aware sampling (nil without MaxInterval).
	decisions *bus.Queue[bus.Decision]
	// wants are the text readers' requests for settled frames, settledSent those sent (settled.go).
	wants       *bus.Queue[bus.SettledWanted]
	settledSent *bus.Counter
}

// New validates cfg and returns a stage publishing on conn.
func New(conn *bus.Conn, cfg Config) (*Stage, error) {
	if cfg.Source == nil && cfg.Reopen == nil {
		return nil, errors.New("capture: no source and no way to open one")
	}
	if cfg.Spec == "" {
		cfg.Spec = "source"
	}
	if cfg.Camera == "" {
		cfg.Camera = DefaultCamera
	}
	if err := bus.ValidateCamera(cfg.Camera); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if cfg.MaxEdge == 0 {
		cfg.MaxEdge = DefaultMaxEdge
	}
	if cfg.JPEGQuality == 0 {
		cfg.JPEGQuality = DefaultJPEGQuality
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.MaxBackoff < cfg.Backoff {
		cfg.MaxBackoff = max(cfg.Backoff, DefaultMaxBackoff)
	}
	cfg.Heartbeat, cfg.MinInterval = setting(cfg.Heartbeat, DefaultHeartbeat), setting(cfg.MinInterval, DefaultMinInterval)
	cfg.MaxInterval, cfg.MaxAge = setting(cfg.MaxInterval, DefaultMaxInterval), setting(cfg.MaxAge, DefaultMaxAge)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "capture", "camera", cfg.Camera)
	c := cfg.Counters
	smp := newSampler(Gate{Threshold: cfg.Threshold, Heartbeat: cfg.Heartbeat}, cfg.MinInterval, cfg.MaxAge, c)
	smp.maxInterval = cfg.MaxInterval
	var decisions *bus.Queue[bus.Decision]
	if cfg.MaxInterval > 0 {
		var err error
		decisions, err = bus.SubscribeEvents[bus.Decision](conn, bus.SubjectDecisions, bus.QueueConfig{
			Name: "capture.decisions", Size: 16, Policy: bus.DropOldest, Counters: c,
		})
		if err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
	}
	wants, err := subscribeWants(conn, c)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	return &Stage{
		wants: wants, settledSent: c.Counter(bus.CounterCaptureFramesSettled),
		cfg:      cfg,
		conn:     conn,
		sampler:  smp,
		read:     c.Counter(bus.CounterCaptureFramesRead),
		sent:     c.Counter(bus.CounterCaptureFramesSent),
		failed:   c.Counter(bus.CounterCaptureFramesFailed),
		bad:      c.Counter(bus.CounterCaptureFramesInvalid),
		restarts: c.Counter(bus.CounterCaptureSourceRestarts),
		reopens:  c.Counter(bus.CounterCaptureSourceReopenFailed),

		reopenFailed: ratelog.New(cfg.Logger, ratelog.DefaultEvery),
		notPublished: ratelog.New(cfg.Logger, ratelog.DefaultEvery),
		decisions:    decisions,
	}, nil
}

// Run reads frames until ctx ends or the source ends (io.EOF: a file played to its end; then
// the frame still waiting is published first), closes the source and returns once every goroutine it
// started has exited. A source that fails is reopened with Reopen, waiting Backoff, doubling up
// to MaxBackoff; without Reopen, Run returns the failure.
func (s *Stage) Run(ctx context.Context) error {
	senderCtx, stopSender := context.WithCancel(ctx)
	defer stopSender()
	followCtx, stopFollowing := context.WithCancel(ctx) // ends with the sender
	defer stopFollowing()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer stopFollowing()
		s.sendLoop(senderCtx)
	}()
	if s.decisions != nil {
		defer func() { _ = s.decisions.Close() }()
		wg.Go(func() { s.followDecisions(followCtx) })
	}
	defer func() { _ = s.wants.Close() }()
	wg.Go(func() { s.followWants(followCtx) })
	ended, err := endOf(s.readLoop(ctx))
	s.sampler.finish()
	if err != nil {
		stopSender()
	}
	wg.Wait()
	s.sayEnded(ended) // after the frame still waiting: a subscriber sees it before the end
	return err
}

// readLoop opens the source if it is not open yet, then reads it, reopening it when it fails,
// until ctx ends, it ends, or it fails for good.
func (s *Stage) readLoop(ctx context.Context) error {
	src := s.cfg.Source
	if ctx.Err() != nil { // stopped before it started
		if src != nil {
			_ = src.Close()
		}
		return nil
	}
	wait := s.cfg.Backoff
	if src == nil {
		var err error
		if src, wait, err = s.openFirst(ctx); src == nil {
			return err
		}
	} else {
		s.publishSource(bus.SourceEvent{State: bus.SourceUp, Source: src.Describe()})
		s.cfg.Logger.Info("capturing", "source", src.Describe())
	}
	for {
		openedAt := time.Now()
		err := redact.Error(s.readSource(ctx, src)) // a source's error may quote its URL
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, io.EOF) {
			return sourceEnded(src.Describe())
		}
		if s.cfg.Reopen == nil {
			s.publishSource(bus.SourceEvent{State: bus.SourceFailed, Source: src.Describe(), Error: err.Error()})
			return fmt.Errorf("read %s: %w", src.Describe(), err)
		}
		if time.Since(openedAt) >= s.cfg.MaxBackoff {
			wait = s.cfg.Backoff // it ran well for a while: this is a new outage
		}
		downAt := time.Now()
		s.cfg.Logger.Warn("source down, reopening", "source", src.Describe(), "err", err, "retry_in", wait)
		s.publishSource(bus.SourceEvent{State: bus.SourceDown, Source: src.Describe(), Error: err.Error(), RetryInMS: wait.Milliseconds()})
		var attempts int
		src, attempts, wait, err = s.reopen(ctx, wait)
		if src == nil {
			return s.failedForGood(err)
		}
		s.restarts.Add(1)
		s.cfg.Logger.Info("source up again", "source", src.Describe(), "attempts", attempts, "down_for", time.Since(downAt).Round(time.Millisecond))
		s.publishSource(bus.SourceEvent{State: bus.SourceUp, Source: src.Describe(), Attempt: attempts,
			DownForMS: float64(time.Since(downAt).Microseconds()) / 1000})
	}
}

// openFirst opens the source with Reopen at once and, if that fails, says so (a down event and
// a warning) and keeps trying with backoff, like after a failure. It returns the source and the
// next backoff, or a nil source and why (nil when ctx ended).
func (s *Stage) openFirst(ctx context.Context) (Source, time.Duration, error) {
	wait := s.cfg.Backoff
	src, err := s.cfg.Reopen(ctx)
	if err == nil {
		s.publishSource(bus.SourceEvent{State: bus.SourceUp, Source: src.Describe()})
		s.cfg.Logger.Info("capturing", "source", src.Describe())
		return src, wait, nil
	}
	if ctx.Err() != nil {
		return nil, wait, nil
	}
	if err = redact.Error(err); errors.Is(err, ErrPermanent) {
		return nil, wait, s.failedForGood(err)
	}
	downAt := time.Now()
	s.cfg.Logger.Warn("source down at start, retrying while the rest runs", "source", s.cfg.Spec, "err", err, "retry_in", wait)
	s.publishSource(bus.SourceEvent{State: bus.SourceDown, Source: s.cfg.Spec, Error: err.Error(), RetryInMS: wait.Milliseconds()})
	src, attempts, wait, err := s.reopen(ctx, wait)
	if src == nil {
		return nil, wait, s.failedForGood(err)
	}
	s.cfg.Logger.Info("source up", "source", src.Describe(), "attempts", attempts, "down_for", time.Since(downAt).Round(time.Millisecond))
	s.publishSource(bus.SourceEvent{State: bus.SourceUp, Source: src.Describe(), Attempt: attempts,
		DownForMS: float64(time.Since(downAt).Microseconds()) / 1000})
	return src, wait, nil
}

// failedForGood reports a source that cannot be opened again (err wraps ErrPermanent) and
// returns err; a nil err (ctx ended) reports nothing.
func (s *Stage) failedForGood(err error) error {
	if err == nil {
		return nil
	}
	s.cfg.Logger.Error("source failed for good; the other cameras keep running", "source", s.cfg.Spec, "err", err)
	s.publishSource(bus.SourceEvent{State: bus.SourceFailed, Source: s.cfg.Spec, Error: err.Error()})
	return fmt.Errorf("camera %s: %w", s.cfg.Camera, err)
}

// reopen calls Reopen after each wait until it succeeds, fails for good or ctx ends (nil
// source, nil error), and returns the source, the attempts it took and the next backoff.
func (s *Stage) reopen(ctx context.Context, wait time.Duration) (Source, int, time.Duration, error) {
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, attempt, wait, nil
		case <-t.C:
		}
		wait = backoff.Next(wait, s.cfg.MaxBackoff)
		src, err := s.cfg.Reopen(ctx)
		if err == nil {
			return src, attempt, wait, nil
		}
		if ctx.Err() != nil {
			return nil, attempt, wait, nil
		}
		s.reopens.Add(1)
		err = redact.Error(err)
		if errors.Is(err, ErrPermanent) {
			return nil, attempt, wait, err
		}
		s.reopenFailed.Warn("reopen failed", "source", s.cfg.Spec, "attempt", attempt, "err", err, "retry_in", wait)
	}
}

// readSource offers src's frames to the sampler until it fails or ctx ends, and closes it.
func (s *Stage) readSource(ctx context.Context, src Source) error {
	done := make(chan struct{})
	closed := make(chan struct{})
	go func() { // unblocks a Read waiting on a source when ctx ends
		defer close(closed)
		select {
		case <-ctx.Done():
			_ = src.Close()
		case <-done:
		}
	}()
	defer func() {
		close(done)
		<-closed
		_ = src.Close()
	}()
	s.sampler.setLimited(limitedRange(src))
	keep := keepFunc(copyImage)
	if k, ok := src.(Keeper); ok {
		keep = func(spare, _ image.Image) image.Image { return k.Keep(spare) }
	}
	for ctx.Err() == nil {
		img, release, err := src.Read()
		if err != nil {
			return err
		}
		now := time.Now()
		s.read.Add(1)
		if err := CheckImage(img); err != nil {
			s.bad.Add(1)
			s.cfg.Logger.Debug("frame dropped", "err", err)
		} else {
			s.sampler.offerKeep(img, now, keep)
		}
		release()
	}
	return nil
}

// followDecisions passes the narrator's decisions on this camera's descriptions to the sampler
// until ctx ends.
func (s *Stage) followDecisions(ctx context.Context) {
	for {
		d, err := s.decisions.Next(ctx)
		if err != nil {
			return
		}
		if d.Camera == s.cfg.Camera {
			s.sampler.decided(d.Action, d.Reason, d.CapturedAt)
		}
	}
}

// sendLoop encodes and publishes what the sampler hands out until ctx ends or the sampler is
// finished and empty.
func (s *Stage) sendLoop(ctx context.Context) {
	var timer *time.Timer
	defer s.preparer.enc.close()
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		smp, wait, done := s.sampler.take(time.Now())
		if done {
			return
		}
		if smp != nil {
			err := s.publish(smp)
			s.sampler.sent(smp, time.Now(), err == nil)
			if err != nil {
				s.failed.Add(1)
				s.notPublished.Warn("frame not published", "err", err)
			}
			continue
		}
		var wake <-chan time.Time
		if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			wake = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-s.sampler.ready:
		case <-wake:
		}
	}
}

// errBusDown: a frame is not kept for a bus that is down, because it would be stale when the
// bus returns; the scene is sent again once the bus is back.
var errBusDown = errors.New("the bus is down: frames are not kept for it, the scene is sent again when it is back")

// publish prepares and publishes one sample.
func (s *Stage) publish(smp *sample) error {
	if !s.conn.Connected() {
		return errBusDown
	}
	p, err := s.preparer.prepareOwned(smp.img, smp.limited, s.cfg.MaxEdge, s.cfg.JPEGQuality, bus.MaxPayload-4096)
	if err != nil {
		return err
	}
	s.seq++
	f := bus.Frame{
		ID: bus.NewID(), Camera: s.cfg.Camera, Seq: s.seq, CapturedAt: smp.at.UTC(),
		Width: p.Width, Height: p.Height, Reason: smp.reason, Distance: smp.distance, Large: smp.large, JPEG: p.JPEG,
	}
	if err := s.conn.PublishFrame(f); err != nil {
		return err
	}
	s.countSent(f.Reason)
	s.cfg.Logger.Debug("frame published", "seq", f.Seq, "reason", f.Reason, "distance", f.Distance, "bytes", len(p.JPEG))
	return nil
}

// publishSource publishes a source event, logging a failure (the bus may be shutting down).
func (s *Stage) publishSource(e bus.SourceEvent) {
	e.ID, e.Camera, e.At = bus.NewID(), s.cfg.Camera, time.Now().UTC()
	if err := s.conn.PublishEvent(bus.SourceSubject(s.cfg.Camera), e); err != nil {
		s.cfg.Logger.Warn("publish source event", "state", e.State, "err", err)
	}
}
