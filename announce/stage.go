package announce

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Config configures the announcer stage.
type Config struct {
	// Level is which announcements are said. Default: All.
	Level Level
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stage watches the bus and announces a camera lost
// and back (source events), a model down and back (worker events, from every backend that
// publishes them) and speech output failures (speech events), as utterances of kind
// announcement.
type Stage struct {
	cfg     Config
	conn    *bus.Conn
	sources *bus.Queue[bus.SourceEvent]
	workers *bus.Queue[bus.WorkerState]
	speech  *bus.Queue[bus.SpeechEvent]
	said    *bus.Counter
	multi   bool // several cameras at start: name them
	// withheld counts announcements the level does not say.
	withheld *bus.Counter
}

// New subscribes to source, worker and speech events on conn.
func New(conn *bus.Conn, cfg Config) (*Stage, error) {
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "announce")
	s := &Stage{cfg: cfg, conn: conn, said: cfg.Counters.Counter(bus.CounterAnnounceSaid), withheld: cfg.Counters.Counter(bus.CounterAnnounceWithheld)}
	c := cfg.Counters
	var err error
	s.sources, err = bus.SubscribeEvents[bus.SourceEvent](conn, bus.AllSources, bus.QueueConfig{Name: "announce.sources", Size: 16, Policy: bus.DropOldest, Counters: c})
	if err == nil {
		s.workers, err = bus.SubscribeEvents[bus.WorkerState](conn, bus.SubjectWorkers, bus.QueueConfig{Name: "announce.workers", Size: 16, Policy: bus.DropOldest, Counters: c})
	}
	if err == nil {
		s.speech, err = bus.SubscribeEvents[bus.SpeechEvent](conn, bus.SubjectSpeech, bus.QueueConfig{Name: "announce.speech", Size: 32, Policy: bus.DropOldest, Counters: c})
	}
	if err == nil {
		err = conn.Flush()
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("announce: %w", err)
	}
	return s, nil
}

func (s *Stage) close() {
	if s.sources != nil {
		_ = s.sources.Close() // unsubscribing fails only on a closed connection
	}
	if s.workers != nil {
		_ = s.workers.Close()
	}
	if s.speech != nil {
		_ = s.speech.Close()
	}
}

// SayStartup says the start-up announcements of st (each fallback, then the summary). Call it
// once every stage is built and before they run, so it is said before anything else.
func (s *Stage) SayStartup(st Startup) {
	s.multi = len(st.Sources) > 1
	for _, a := range st.Announcements() {
		s.Say(a)
	}
}

// Run announces bus events until ctx ends.
func (s *Stage) Run(ctx context.Context) error {
	defer s.close()
	multi := s.multi
	var wg sync.WaitGroup
	wg.Go(func() {
		w := newSourceWatch(multi)
		drain(ctx, s.sources, func(e bus.SourceEvent) {
			if a, ok := w.event(e); ok {
				s.Say(a)
			}
		})
	})
	wg.Go(func() {
		var w workerWatch
		drain(ctx, s.workers, func(e bus.WorkerState) {
			if a, ok := w.event(e); ok {
				s.Say(a)
			}
		})
	})
	wg.Go(func() {
		var w speechWatch
		drain(ctx, s.speech, func(e bus.SpeechEvent) {
			if a, ok := w.event(e); ok {
				s.Say(a)
			}
		})
	})
	wg.Wait()
	return nil
}

func drain[T any](ctx context.Context, q *bus.Queue[T], f func(T)) {
	for {
		v, err := q.Next(ctx)
		if err != nil {
			return
		}
		f(v)
	}
}

// Say publishes a as an utterance if the level allows it.
func (s *Stage) Say(a Announcement) {
	if !s.cfg.Level.Allows(a) {
		s.withheld.Add(1)
		s.cfg.Logger.Debug("announcement not said (--announce)", "level", s.cfg.Level.String(), "text", a.Text)
		return
	}
	if err := Publish(s.conn, a); err != nil {
		s.cfg.Logger.Warn("announcement not published", "err", err)
		return
	}
	s.said.Add(1)
	s.cfg.Logger.Debug("announced", "topic", a.Topic, "text", a.Text)
}

// Publish publishes a as an announcement utterance on conn, whatever the level.
func Publish(conn *bus.Conn, a Announcement) error {
	return conn.PublishEvent(bus.SubjectUtterances, a.Utterance(time.Now().UTC()))
}

// sourceWatch turns source events into camera lost, back and ended announcements, once per
// change of state.
type sourceWatch struct {
	multi bool
	down  map[string]bool
}

func newSourceWatch(multi bool) *sourceWatch {
	return &sourceWatch{multi: multi, down: map[string]bool{}}
}

func (w *sourceWatch) event(e bus.SourceEvent) (Announcement, bool) {
	if _, seen := w.down[e.Camera]; !seen && len(w.down) > 0 {
		w.multi = true
	}
	wasDown, seen := w.down[e.Camera]
	if !seen {
		w.down[e.Camera] = false
	}
	pick := func(plain, named ID) Announcement {
		if w.multi {
			return Make(named, e.Camera)
		}
		return Make(plain)
	}
	switch e.State {
	case bus.SourceDown:
		w.down[e.Camera] = true
		if wasDown {
			return Announcement{}, false
		}
		return pick(CameraLost, CameraLostNamed), true
	case bus.SourceUp:
		w.down[e.Camera] = false
		if !wasDown {
			return Announcement{}, false
		}
		return pick(CameraBack, CameraBackNamed), true
	case bus.SourceEnded:
		return pick(CameraEnded, CameraEndedNamed), true
	}
	return Announcement{}, false
}

// workerWatch turns model worker states into model ready, down and back announcements. A
// down state with a stand-in (the heuristic describing meanwhile) says so, once until the
// model is back.
type workerWatch struct {
	down, ready, standIn bool
}

func (w *workerWatch) event(e bus.WorkerState) (Announcement, bool) {
	switch e.State {
	case bus.WorkerRestarting, bus.WorkerFailed:
		wasDown, saidStandIn := w.down, w.standIn
		w.down = true
		if e.State == bus.WorkerFailed {
			return Make(ModelFailed), true
		}
		if e.StandIn != "" && !saidStandIn {
			w.standIn = true
			if wasDown {
				return Make(ModelStandIn), true
			}
			return Make(ModelDownStandIn), true
		}
		return Make(ModelDown), !wasDown
	case bus.WorkerReady:
		wasDown, wasReady := w.down, w.ready
		w.down, w.ready, w.standIn = false, true, false
		switch {
		case wasDown:
			return Make(ModelBack), true
		case !wasReady:
			return Make(ModelReady), true
		}
	}
	return Announcement{}, false
}

// speechWatch announces a speech output failure once, until speech works again.
type speechWatch struct{ failing bool }

func (w *speechWatch) event(e bus.SpeechEvent) (Announcement, bool) {
	switch {
	case e.State == bus.SpeechFinished:
		w.failing = false
	case strings.HasPrefix(e.Reason, "failed") && e.Kind != bus.KindAnnouncement:
		if !w.failing {
			w.failing = true
			return Make(SpeechFailed), true
		}
	}
	return Announcement{}, false
}

// SayAndWait publishes a on conn, whatever the level, and waits until the speech stage has
// finished with it (said, interrupted or dropped), or until timeout: for the last words
// before the narrator stops ("Goodbye."). It returns false when no speech stage reported
// on it in time (speech none, or no speech stage on this bus).
func SayAndWait(ctx context.Context, conn *bus.Conn, a Announcement, timeout time.Duration) (bool, error) {
	q, err := bus.SubscribeEvents[bus.SpeechEvent](conn, bus.SubjectSpeech, bus.QueueConfig{Name: "announce.wait", Size: 64, Policy: bus.DropOldest})
	if err != nil {
		return false, fmt.Errorf("announce: %w", err)
	}
	defer func() { _ = q.Close() }()
	if err := conn.Flush(); err != nil {
		return false, fmt.Errorf("announce: %w", err)
	}
	u := a.Utterance(time.Now().UTC())
	if err := conn.PublishEvent(bus.SubjectUtterances, u); err != nil {
		return false, fmt.Errorf("announce: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		e, err := q.Next(ctx)
		if err != nil {
			return false, nil
		}
		if e.UtteranceID == u.ID && e.State != bus.SpeechStarted {
			return true, nil
		}
	}
}
