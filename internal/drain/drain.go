// Package drain lets a run whose sources end (a single image, a clip played without --loop)
// finish what is in flight before it stops: the description of each camera's last frame, the
// narrator's decision about it, and the speech of every utterance, waited for at most a bounded
// time. When that runs out it says so aloud ("Stopped after waiting 30 seconds, before
// everything was said.") and logs what was still pending.
package drain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
)

// DefaultTimeout is how long a run waits, after its last source ended, for what is in flight.
const DefaultTimeout = 30 * time.Second

// cutShortSayWait bounds how long the cut-short announcement may take to be said.
const cutShortSayWait = 5 * time.Second

// ErrCutShort is returned by Run when the timeout ran out before everything was said.
var ErrCutShort = errors.New("stopped before everything in flight was said")

// ErrNoPicture is returned by Run when every source ended without sending a picture.
var ErrNoPicture = errors.New("every source ended without sending a picture")

// Config configures a Waiter.
type Config struct {
	// Cameras are the cameras whose sources must all end before the waiting starts. Required.
	Cameras []string
	// Timeout bounds the wait after the last source ended. Default: DefaultTimeout.
	Timeout time.Duration
	// Speech is true when a speech stage reports on this bus: utterances are then waited for
	// until the speech stage finished with them. Default: false (only descriptions and
	// decisions are waited for).
	Speech bool
	// Logger is where it logs. Default: slog.Default().
	Logger *slog.Logger
}

// Waiter watches the bus and returns from Run once every source ended and everything in flight
// was described, decided and said.
type Waiter struct {
	cfg    Config
	conn   *bus.Conn
	events *bus.Queue[bus.Message]
	st     *state
}

// New subscribes to every narrator event on conn (one subscription, so events from one
// publisher keep their order).
func New(conn *bus.Conn, cfg Config) (*Waiter, error) {
	if len(cfg.Cameras) == 0 {
		return nil, errors.New("drain: no cameras")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	q, err := bus.SubscribeRaw(conn, bus.AllEvents, bus.QueueConfig{Name: "drain.events", Size: 1024, Policy: bus.DropOldest})
	if err != nil {
		return nil, fmt.Errorf("drain: %w", err)
	}
	if err := conn.Flush(); err != nil {
		_ = q.Close()
		return nil, fmt.Errorf("drain: %w", err)
	}
	return &Waiter{cfg: cfg, conn: conn, events: q, st: newState(cfg.Cameras, cfg.Speech)}, nil
}

// Run returns nil once every camera's source ended and what was in flight is done, or
// ErrCutShort after the timeout (having said so). It returns nil when ctx ends first.
func (w *Waiter) Run(ctx context.Context) error {
	defer func() { _ = w.events.Close() }()
	wait := ctx // until every source ended; then bounded by the timeout
	for {
		if w.st.allEnded() {
			if len(w.st.lastFrame) == 0 {
				return ErrNoPicture
			}
			if w.st.done() {
				w.cfg.Logger.Info("every source ended and everything was said; stopping")
				return nil
			}
			if wait == ctx {
				var cancel context.CancelFunc
				wait, cancel = context.WithTimeout(ctx, w.cfg.Timeout)
				defer cancel()
				w.cfg.Logger.Info("every source ended; waiting for what is in flight", "at_most", w.cfg.Timeout)
			}
		}
		m, err := w.events.Next(wait)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			return w.cutShort(ctx)
		}
		w.st.event(m)
	}
}

func (w *Waiter) cutShort(ctx context.Context) error {
	w.cfg.Logger.Warn("stopped waiting for what was in flight", "after", w.cfg.Timeout, "pending", w.st.pending())
	a := announce.Make(announce.CutShort, Spoken(w.cfg.Timeout))
	if w.cfg.Speech {
		if _, err := announce.SayAndWait(ctx, w.conn, a, cutShortSayWait); err != nil {
			w.cfg.Logger.Warn("cut-short announcement not said", "err", err)
		}
	} else if err := announce.Publish(w.conn, a); err != nil {
		w.cfg.Logger.Warn("cut-short announcement not published", "err", err)
	}
	return fmt.Errorf("%w after waiting %s (%s)", ErrCutShort, w.cfg.Timeout, w.st.pending())
}

// Spoken says a duration in words: "30 seconds", "1 minute", "2 minutes 30 seconds".
func Spoken(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case s < 60:
		return plural(s, "second")
	case s%60 == 0:
		return plural(s/60, "minute")
	}
	return plural(s/60, "minute") + " " + plural(s%60, "second")
}

// state is what is in flight, learnt from the events in order.
type state struct {
	speech     bool
	ended      map[string]bool   // camera → its source ended
	lastFrame  map[string]string // camera → its last frame's id
	described  map[string]string // camera → the final description of its last frame ("" until then)
	decided    map[string]bool   // description id → its decision was published
	unfinished map[string]bool   // utterance ids the speech stage has not finished with
}

func newState(cameras []string, speech bool) *state {
	s := &state{speech: speech, ended: map[string]bool{}, lastFrame: map[string]string{}, described: map[string]string{},
		decided: map[string]bool{}, unfinished: map[string]bool{}}
	for _, c := range cameras {
		s.ended[c] = false
	}
	return s
}

func (s *state) event(m bus.Message) {
	kind, _ := bus.SubjectKind(m.Subject)
	switch {
	case kind == bus.KindFrames:
		if m.FrameErr == nil {
			s.lastFrame[m.Frame.Camera] = m.Frame.ID
			s.described[m.Frame.Camera] = ""
		}
	case kind == bus.KindSources:
		var e bus.SourceEvent
		if json.Unmarshal(m.Data, &e) == nil && e.State == bus.SourceEnded {
			if _, known := s.ended[e.Camera]; known {
				s.ended[e.Camera] = true
			}
		}
	case kind == bus.KindDescriptions:
		var d bus.Description
		if json.Unmarshal(m.Data, &d) == nil && !d.Partial && d.FrameID != "" && d.FrameID == s.lastFrame[d.Camera] {
			s.described[d.Camera] = d.ID
		}
	case m.Subject == bus.SubjectDecisions:
		var d bus.Decision
		if json.Unmarshal(m.Data, &d) == nil {
			s.decided[d.DescriptionID] = true
		}
	case m.Subject == bus.SubjectUtterances:
		var u bus.Utterance
		if json.Unmarshal(m.Data, &u) == nil && s.speech {
			s.unfinished[u.ID] = true
		}
	case m.Subject == bus.SubjectSpeech:
		var e bus.SpeechEvent
		if json.Unmarshal(m.Data, &e) == nil && e.State != bus.SpeechStarted {
			delete(s.unfinished, e.UtteranceID)
		}
	}
}

func (s *state) allEnded() bool {
	for _, e := range s.ended {
		if !e {
			return false
		}
	}
	return true
}

func (s *state) done() bool { return s.pending() == "" }

// pending says what is still in flight, for the log; "" when nothing is.
func (s *state) pending() string {
	var out []string
	for cam, frame := range s.lastFrame {
		switch d := s.described[cam]; {
		case d == "":
			out = append(out, fmt.Sprintf("the description of %s's frame %s", cam, frame))
		case !s.decided[d]:
			out = append(out, fmt.Sprintf("the decision about %s's description %s", cam, d))
		}
	}
	if n := len(s.unfinished); n > 0 {
		out = append(out, fmt.Sprintf("%d utterances not yet said", n))
	}
	return strings.Join(out, ", ")
}
