package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// DefaultPreempt is the command line's default for Config.Preempt: a generation for a scene
// that is gone is cancelled.
const DefaultPreempt = true

// DefaultPreemptDistance is Config.PreemptDistance's default: twice the capture gate's default
// threshold, above what steady motion moves the hash between accepted frames (0-8 of 64 bits
// on the test clips; the gate lets motion through on its per-cell test, whose bar is each
// cell's learned jitter) and below what a cut to another scene moves it (25 or more).
const DefaultPreemptDistance = 20

// noPreempt is a least distance no frame reaches.
const noPreempt = math.MaxInt

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
	// whose scene changed (Reason "changed", Distance at least PreemptDistance, or Large)
	// arrives while the describer still works on an older frame, that generation is cancelled
	// (its context ends), published as a final description with Cancelled set, and the new
	// frame is described at once. Answers to describe requests are never preempted. The
	// generation that replaced a preempted one is preempted only by a larger change (a greater
	// distance than the frame that preempted), so a scene that keeps changing is still
	// described and a bigger change still cuts in. Default: false (the command line's default
	// is DefaultPreempt).
	Preempt bool
	// PreemptDistance is the least hash distance (of 64 bits) of a changed frame that
	// preempts. Default: DefaultPreemptDistance; Off (any negative): every frame the capture
	// gate calls a scene change.
	PreemptDistance int
	// MaxAge drops, never describes, a frame captured longer ago than this when its turn
	// comes (counted in inference.frames.stale and the camera's dropped): one that waited so
	// long for a free host (every host down, or far too few). A frame waiting in its camera's
	// slot is that camera's newest, its scene still in view, so the bar is well above a
	// model's latency times the cameras it serves. Capture stamps CapturedAt, so hosts apart
	// need synchronised clocks (NTP). Default: DefaultMaxAge; Off: no limit.
	MaxAge time.Duration
	// MaxCameras bounds the cameras with a frame waiting. Default: DefaultMaxCameras.
	MaxCameras int
	// Pull takes frames from the JetStream work queue (bus.OpenWork) when the describer is
	// free, instead of from the queue group: hosts that are free take the work, a frame whose
	// host dies is handed to another. Needs JetStream on the server. Preemption does not apply
	// (a host sees only the frame it took). Default: false.
	Pull bool
	// AckWait is, with Pull, how long this host may go silent on a frame before the server
	// hands it to another. Default: bus.DefaultWorkAckWait.
	AckWait time.Duration
}

// DefaultMaxAge is Config.MaxAge's default: `narrator infer --max-age`'s, and what `narrator
// run` uses (there --max-age is capture's).
const DefaultMaxAge = 10 * time.Second

// Off, in a Config setting that has a default and can be turned off (MaxAge;
// PreemptDistance, where it means every scene change preempts), turns it off; any negative
// value does. Zero is the default.
const Off = -1

// DefaultFrameQueue is how many frames may wait between the bus and the scheduler: enough for
// every camera's frame of a moment when they all change together.
const DefaultFrameQueue = 64

// Stage describes frames whenever the describer is free. Each camera has one waiting slot: a
// newer frame of the camera replaces its waiting one (counted superseded), never another
// camera's, and the camera that has waited longest goes next (see scheduler). With Pull the
// JetStream work queue holds the slots instead and the stage takes a frame when it is free.
type Stage struct {
	cfg         Config
	conn        *bus.Conn
	frames      *bus.Queue[bus.Frame] // push: frames from the queue group
	work        *bus.WorkQueue        // pull: frames from the work queue
	requests    *requests             // describe-now and ask requests, and the narrator's prompt
	described   *bus.Counter
	failed      *bus.Counter
	cancelled   *bus.Counter // generations preempted by a scene change
	replaced    *bus.Counter // frames replaced by a newer one of their camera while they waited
	stale       *bus.Counter // frames older than MaxAge when their turn came
	redelivered *bus.Counter // pull: frames a host took before and went silent on

	mu      sync.Mutex
	waiting *scheduler
	gen     *watch        // the generation running now, watched for preemption
	ready   chan struct{} // a frame is waiting
}

// New subscribes to frames on conn (with Pull: joins the work queue). The subscription starts
// buffering at once.
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
	if cfg.PreemptDistance == 0 {
		cfg.PreemptDistance = DefaultPreemptDistance
	}
	switch {
	case cfg.MaxAge == 0:
		cfg.MaxAge = DefaultMaxAge
	case cfg.MaxAge < 0: // Off
		cfg.MaxAge = 0
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "inference", "backend", cfg.Describer.Info().Backend)
	s := &Stage{
		cfg:         cfg,
		conn:        conn,
		described:   cfg.Counters.Counter(bus.CounterInferenceDescribed),
		failed:      cfg.Counters.Counter(bus.CounterInferenceFailed),
		cancelled:   cfg.Counters.Counter(bus.CounterInferenceCancelled),
		replaced:    cfg.Counters.Counter(bus.CounterInferenceFramesDropped),
		stale:       cfg.Counters.Counter(bus.CounterInferenceFramesStale),
		redelivered: cfg.Counters.Counter(bus.CounterInferenceFramesRedelivered),
		waiting:     newScheduler(cfg.MaxCameras),
		ready:       make(chan struct{}, 1),
	}
	var err error
	if cfg.Pull {
		s.work, err = bus.OpenWork(context.Background(), conn, bus.WorkConfig{AckWait: cfg.AckWait, Counters: cfg.Counters})
	} else {
		s.frames, err = bus.SubscribeFrames(conn, cfg.Subject, bus.QueueConfig{
			Name: "inference.frames", Size: DefaultFrameQueue, Policy: bus.DropOldest, Counters: cfg.Counters,
			Group: bus.InferenceGroup,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("inference: %w", err)
	}
	s.requests, err = newRequests(conn, cfg.Counters)
	if err != nil {
		if s.frames != nil {
			_ = s.frames.Close()
		}
		return nil, fmt.Errorf("inference: %w", err)
	}
	return s, nil
}

// Run describes frames until ctx ends. A describer that is a Runner runs alongside; if it
// fails, Run stops and returns its error.
func (s *Stage) Run(ctx context.Context) error {
	if s.frames != nil {
		defer func() { _ = s.frames.Close() }()
	}
	defer s.requests.start(ctx, s)()
	loop := s.loop
	if s.work != nil {
		loop = s.pullLoop
	}
	if r, ok := s.cfg.Describer.(Runner); ok {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		runErr := make(chan error, 1)
		go func() {
			runErr <- r.Run(ctx, s.conn)
			cancel()
		}()
		loop(ctx)
		cancel()
		return <-runErr
	}
	loop(ctx)
	return nil
}

// job is one generation: a frame, and the describe request it answers, if any.
type job struct {
	f   bus.Frame
	req bus.DescribeRequest
}

// watch is the generation running now: a changed frame of its camera of at least least (see
// magnitude) cancels it, and is remembered in by.
type watch struct {
	camera string
	least  int
	cancel context.CancelCauseFunc
	by     *bus.Frame
}

// loop is the one goroutine that owns the describer: it describes the answer to each accepted
// describe request, else the frame of the camera that has waited longest, one at a time, until
// ctx ends. Frames reach the scheduler from a reader goroutine; requests from the requests'
// server, after it has acknowledged them.
func (s *Stage) loop(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		s.readFrames(ctx)
	}()
	defer func() {
		cancel()
		<-readerDone
	}()
	least := s.cfg.PreemptDistance // the least change that preempts the next generation
	first := ""                    // the camera whose frame preempted: it goes next
	for {
		j, ok := s.nextJob(ctx, first)
		if !ok {
			return
		}
		first = ""
		asked := j.req.ID != ""
		watch := least
		if !s.cfg.Preempt || asked {
			watch = noPreempt
		}
		by := s.describeWatching(ctx, j, watch)
		if !asked {
			least = s.cfg.PreemptDistance
			if by != nil {
				least = s.magnitude(*by) + 1 // only a larger change preempts the replacement
				first = by.Camera
			}
		}
	}
}

// nextJob waits for the next generation: an accepted request first (someone is waiting for its
// answer), else first's waiting frame, else the frame of the camera that has waited longest.
// A frame older than MaxAge is dropped (counted stale) and the next one taken. ok is false once
// ctx ends.
func (s *Stage) nextJob(ctx context.Context, first string) (j job, ok bool) {
	for {
		select {
		case j = <-s.requests.jobs:
			return j, true
		default:
		}
		s.mu.Lock()
		f, found := s.waiting.take(first)
		if !found {
			f, found = s.waiting.next()
		}
		s.mu.Unlock()
		first = ""
		if found {
			if s.isStale(f) {
				continue
			}
			return job{f: f}, true
		}
		select {
		case j = <-s.requests.jobs:
			return j, true
		case <-s.ready:
		case <-ctx.Done():
			return job{}, false
		}
	}
}

// isStale reports, and counts, a frame that waited longer than MaxAge since it was captured.
func (s *Stage) isStale(f bus.Frame) bool {
	if s.cfg.MaxAge <= 0 || f.CapturedAt.IsZero() || time.Since(f.CapturedAt) <= s.cfg.MaxAge {
		return false
	}
	s.stale.Add(1)
	s.cameraCount(f.Camera, bus.CameraDropped)
	s.cfg.Logger.Debug("frame too old to describe", "frame", f.ID, "camera", f.Camera, "age", time.Since(f.CapturedAt).Round(time.Millisecond), "max_age", s.cfg.MaxAge)
	return true
}

// cameraCount counts one outcome of camera's frames.
func (s *Stage) cameraCount(camera, outcome string) {
	s.cfg.Counters.Counter(bus.InferenceCameraCounter(camera, outcome)).Add(1)
}

// readFrames takes frames from the bus, remembers each for describe requests, and offers them
// to the scheduler, until ctx ends.
func (s *Stage) readFrames(ctx context.Context) {
	for {
		f, err := s.frames.Next(ctx)
		if err != nil {
			return
		}
		s.requests.remember(f)
		s.offer(f)
	}
}

// offer puts f in its camera's slot and, if it shows a new scene of the camera being described
// now, a change of at least the generation's least, cancels that generation.
func (s *Stage) offer(f bus.Frame) {
	s.cameraCount(f.Camera, bus.CameraSent)
	s.mu.Lock()
	old, accepted := s.waiting.put(f)
	if g := s.gen; g != nil && accepted && g.by == nil && f.Camera == g.camera && f.Reason == bus.FrameChanged && s.magnitude(f) >= g.least {
		g.by = &f
		g.cancel(&preemption{by: f})
	}
	s.mu.Unlock()
	switch {
	case !accepted:
		s.cameraCount(f.Camera, bus.CameraDropped)
		s.cfg.Logger.Warn("frame dropped: too many cameras waiting", "camera", f.Camera, "max_cameras", s.waiting.max)
	case old != nil:
		s.replaced.Add(1)
		s.cameraCount(old.Camera, bus.CameraSuperseded)
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// magnitude is how large a change a frame shows, for preemption: its hash distance, and at
// least PreemptDistance when capture marked it Large (the lights went off: a real change whose
// hash may barely move).
func (s *Stage) magnitude(f bus.Frame) int {
	if f.Large {
		return max(f.Distance, s.cfg.PreemptDistance)
	}
	return f.Distance
}

// preemption is why a generation was cancelled: a frame showed a new scene.
type preemption struct{ by bus.Frame }

func (p *preemption) Error() string {
	return fmt.Sprintf("preempted by frame %s (%s)", p.by.ID, changeWords(p.by))
}

// describeWatching describes j while offer watches the frames that arrive meanwhile: one that
// shows a new scene of j's camera, a change of at least least (see magnitude), cancels the
// generation. It returns that frame if it cancelled the generation, else nil.
func (s *Stage) describeWatching(ctx context.Context, j job, least int) *bus.Frame {
	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := &watch{camera: j.f.Camera, least: least, cancel: cancel}
	s.mu.Lock()
	s.gen = w
	s.mu.Unlock()
	cancelled := s.describe(gctx, j.f, j.req)
	s.mu.Lock()
	s.gen = nil
	s.mu.Unlock()
	if !cancelled {
		return nil
	}
	return w.by
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
		s.cameraCount(f.Camera, bus.CameraSuperseded)
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
		s.cameraCount(f.Camera, bus.CameraDropped)
		d.Error = err.Error()
		s.cfg.Logger.Warn("inference failed", "frame", f.ID, "err", err)
	} else {
		s.described.Add(1)
		s.cameraCount(f.Camera, bus.CameraDescribed)
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

// changeWords says what changed in f, the frame that preempted: its hash distance, or for a
// change capture marked Large with a small distance, the brightness or colour.
func changeWords(f bus.Frame) string {
	if f.Large && f.Distance < DefaultPreemptDistance {
		return "a large change of brightness or colour"
	}
	return fmt.Sprintf("the scene changed: %d of 64 hash bits differ", f.Distance)
}
