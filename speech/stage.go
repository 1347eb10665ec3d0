package speech

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// ReasonStale is the drop reason for an utterance that could not start before its not_after.
const ReasonStale = "stale"

// Config configures the speech stage.
type Config struct {
	// Speaker says the utterances. Required.
	Speaker Speaker
	// QueueSize is how many utterances may wait while one is spoken; when full the oldest
	// waiting one is dropped (the newest wins). Default: 2.
	QueueSize int
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// Stage speaks utterances from the bus one at a time.
type Stage struct {
	cfg        Config
	conn       *bus.Conn
	utterances *bus.Queue[bus.Utterance]
	spoken     *bus.Counter
	stale      *bus.Counter
	failed     *bus.Counter
}

// New subscribes to utterances on conn.
func New(conn *bus.Conn, cfg Config) (*Stage, error) {
	if cfg.Speaker == nil {
		return nil, errors.New("speech: no speaker")
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 2
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "speech", "speaker", cfg.Speaker.Name())
	q, err := bus.SubscribeEvents[bus.Utterance](conn, bus.SubjectUtterances, bus.QueueConfig{
		Name: "speech.utterances", Size: cfg.QueueSize, Policy: bus.DropOldest, Counters: cfg.Counters,
	})
	if err != nil {
		return nil, fmt.Errorf("speech: %w", err)
	}
	c := cfg.Counters
	return &Stage{
		cfg: cfg, conn: conn, utterances: q,
		spoken: c.Counter("speech.spoken"), stale: c.Counter("speech.stale"), failed: c.Counter("speech.failed"),
	}, nil
}

// Run speaks utterances until ctx ends.
func (s *Stage) Run(ctx context.Context) error {
	defer s.utterances.Close()
	for {
		u, err := s.utterances.Next(ctx)
		if err != nil {
			return nil
		}
		s.say(ctx, u)
	}
}

func (s *Stage) say(ctx context.Context, u bus.Utterance) {
	ev := bus.SpeechEvent{
		UtteranceID: u.ID, Camera: u.Camera, Text: u.Text, Backend: s.cfg.Speaker.Name(), CapturedAt: u.CapturedAt,
	}
	now := time.Now().UTC()
	if now.After(u.NotAfter) {
		s.stale.Add(1)
		ev.State, ev.Reason = bus.SpeechDropped, ReasonStale
		s.publish(ev, now)
		return
	}
	ev.SpokenAt = now
	ev.GlassToEarMS = float64(now.Sub(u.CapturedAt).Microseconds()) / 1000
	ev.State = bus.SpeechStarted
	s.publish(ev, now)
	err := s.cfg.Speaker.Speak(ctx, u.Text)
	switch {
	case ctx.Err() != nil:
		ev.State, ev.Reason = bus.SpeechInterrupted, "shutdown"
	case err != nil:
		s.failed.Add(1)
		s.cfg.Logger.Warn("speech failed", "err", err)
		ev.State, ev.Reason = bus.SpeechInterrupted, err.Error()
	default:
		s.spoken.Add(1)
		ev.State = bus.SpeechFinished
	}
	s.publish(ev, time.Now().UTC())
}

func (s *Stage) publish(ev bus.SpeechEvent, at time.Time) {
	ev.ID, ev.At = bus.NewID(), at
	if err := s.conn.PublishEvent(bus.SubjectSpeech, ev); err != nil {
		s.cfg.Logger.Warn("speech event not published", "err", err)
	}
}
