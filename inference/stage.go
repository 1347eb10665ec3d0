package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
	// preempts. Default: DefaultPreemptDistance; negative: every frame the capture gate calls
	// a scene change.
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
	if cfg.PreemptDistance == 0 {
		cfg.PreemptDistance = DefaultPreemptDistance
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
		described: cfg.Counters.Counter(bus.CounterInferenceDescribed),
		failed:    cfg.Counters.Counter(bus.CounterInferenceFailed),
		cancelled: cfg.Counters.Counter(bus.CounterInferenceCancelled),
		replaced:  cfg.Counters.Counter(bus.CounterInferenceFramesDropped),
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

// job is one generation: a frame, and the describe request it answers, if any.
type job struct {
	f   bus.Frame
	req bus.DescribeRequest
}

// loop is the one goroutine that owns the describer: it describes the answer to each accepted
// describe request, else the newest frame, one at a time, until ctx ends. Frames reach it from
// a reader goroutine; requests from the requests' server, after it has acknowledged them.
func (s *Stage) loop(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	incoming := make(chan bus.Frame)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		s.readFrames(ctx, incoming)
	}()
	defer func() {
		cancel()
		<-readerDone
	}()
	var next *bus.Frame            // the newest frame that arrived during the last generation
	least := s.cfg.PreemptDistance // the least change that preempts the next generation
	for {
		var j job
		select { // an accepted request goes first: someone is waiting for its answer
		case j = <-s.requests.jobs:
		default:
			if next != nil {
				j, next = job{f: *next}, nil
				break
			}
			var ok bool
			select {
			case j = <-s.requests.jobs:
			case j.f, ok = <-incoming:
				if !ok {
					return
				}
			case <-ctx.Done():
				return
			}
		}
		asked := j.req.ID != ""
		watch := least
		if !s.cfg.Preempt || asked {
			watch = noPreempt
		}
		newest, cancelled := s.describeWatching(ctx, j, incoming, watch)
		if newest != nil {
			if next != nil {
				s.replaced.Add(1)
			}
			next = newest
		}
		if !asked {
			least = s.cfg.PreemptDistance
			if cancelled && newest != nil {
				least = s.magnitude(*newest) + 1 // only a larger change preempts the replacement
			}
		}
	}
}

// readFrames takes frames from the bus, remembers each for describe requests, and hands them
// to the loop, until ctx ends; then it closes out.
func (s *Stage) readFrames(ctx context.Context, out chan<- bus.Frame) {
	defer close(out)
	for {
		f, err := s.frames.Next(ctx)
		if err != nil {
			return
		}
		s.requests.remember(f)
		select {
		case out <- f:
		case <-ctx.Done():
			return
		}
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

// describeWatching describes j while taking the frames that arrive meanwhile, keeping the
// newest (the others are counted as replaced). If one of them shows a new scene of the frame's
// camera, a change of at least least (see magnitude), the generation is cancelled. It returns
// the newest frame that arrived, if any (the one that preempted, if one did), and whether the
// generation was cancelled.
func (s *Stage) describeWatching(ctx context.Context, j job, incoming <-chan bus.Frame, least int) (*bus.Frame, bool) {
	gctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := make(chan struct{})
	newest := make(chan *bus.Frame, 1)
	go func() {
		var held *bus.Frame
		defer func() { newest <- held }()
		for {
			var nf bus.Frame
			var ok bool
			select {
			case <-stop:
				return
			case nf, ok = <-incoming:
				if !ok {
					return
				}
			}
			if held != nil {
				s.replaced.Add(1)
			}
			held = &nf
			if nf.Camera == j.f.Camera && nf.Reason == bus.FrameChanged && s.magnitude(nf) >= least {
				cancel(&preemption{by: nf})
				return
			}
		}
	}()
	cancelled := s.describe(gctx, j.f, j.req)
	close(stop)
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

// changeWords says what changed in f, the frame that preempted: its hash distance, or for a
// change capture marked Large with a small distance, the brightness or colour.
func changeWords(f bus.Frame) string {
	if f.Large && f.Distance < DefaultPreemptDistance {
		return "a large change of brightness or colour"
	}
	return fmt.Sprintf("the scene changed: %d of 64 hash bits differ", f.Distance)
}
