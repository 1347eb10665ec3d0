package speech

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
)

// earconMaxWait is how long an earcon may wait for its turn; later it would be out of context
// and is skipped.
const earconMaxWait = 2 * time.Second

// Config configures the speech stage.
type Config struct {
	// Speaker says the utterances; the stage closes it when Run returns. Required.
	Speaker Speaker
	// QueueSize is how many ordinary utterances may wait while one is spoken; when full the
	// oldest waiting one is dropped as superseded (the newest wins). Urgent utterances have a
	// queue of the same size. Default: 2.
	QueueSize int
	// Earcons plays earcons (when the speaker can): paused on a pause command, and those the
	// EarconRules match on the bus. Default: false.
	Earcons bool
	// EarconRules map bus events to earcons. Default: DefaultEarconRules().
	EarconRules []EarconRule
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
	// Announce is which announcements the stage makes itself (a Failover speaker's moves from
	// one output to another). Default: announce.All.
	Announce announce.Level
	// RecoverFirst and RecoverLimit bound the wait between probes of a Failover speaker's
	// first output after it failed. Default: DefaultRecoverFirst, DefaultRecoverLimit.
	RecoverFirst, RecoverLimit time.Duration
}

// Stage speaks utterances from the bus one at a time. Utterances are synthesized as soon as
// they are queued, so the next is ready when the current one ends. Speech control commands
// arrive on their own subscription and goroutine, so they never wait behind utterances.
type Stage struct {
	cfg        Config
	conn       *bus.Conn
	earcons    EarconSpeaker // nil when earcons are off or the speaker has none
	utterances *bus.Queue[bus.Utterance]
	controls   *bus.Queue[bus.SpeechControl]
	settings   *bus.Queue[bus.Request[bus.SpeechSettings]] // rate and volume requests (settings.go)
	cues       []*bus.Queue[bus.Message]                   // one per earcon rule

	spoken, stale, failed, superseded, earconsPlayed *bus.Counter
	failovers, recovered                             *bus.Counter

	mu      sync.Mutex
	pending []*item    // waiting to play, in order: urgent utterances, announcements, earcons, ordinary utterances
	current *playing   // what plays now, nil when idle
	tails   []*playing // handed to the output stream entirely, not yet heard to the end
	paused  bool
	wake    chan struct{}
	preps   sync.WaitGroup
	tailWG  sync.WaitGroup
}

// item is an utterance or an earcon on its way to the speaker.
type item struct {
	u        bus.Utterance // empty for an earcon
	earcon   Earcon        // empty for an utterance
	urgent   bool
	announce bool      // an announcement: said while paused, and not silenced by a pause or stop made before it
	queued   time.Time // when an earcon was queued
	gen      int       // the Failover output it was prepared for

	ready  chan struct{} // closed when the clip is prepared (or failed)
	clip   Clip
	err    error
	cancel context.CancelFunc // abandons the preparation
}

// playing is the item being played and how to silence it.
type playing struct {
	it      *item
	silence context.CancelCauseFunc
}

// interruption is why an item was silenced or dropped.
type interruption struct{ reason string }

func (i interruption) Error() string { return i.reason }

// New subscribes to utterances, speech control commands and the earcon rules' subjects on conn.
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
	if cfg.EarconRules == nil {
		cfg.EarconRules = DefaultEarconRules()
	}
	if cfg.RecoverFirst <= 0 {
		cfg.RecoverFirst = DefaultRecoverFirst
	}
	if cfg.RecoverLimit <= 0 {
		cfg.RecoverLimit = DefaultRecoverLimit
	}
	cfg.Logger = cfg.Logger.With("stage", "speech", "speaker", cfg.Speaker.Name())
	c := cfg.Counters
	s := &Stage{
		cfg: cfg, conn: conn, wake: make(chan struct{}, 1),
		spoken: c.Counter(bus.CounterSpeechSpoken), stale: c.Counter(bus.CounterSpeechStale), failed: c.Counter(bus.CounterSpeechFailed),
		superseded: c.Counter(bus.CounterSpeechSuperseded), earconsPlayed: c.Counter(bus.CounterSpeechEarcons),
		failovers: c.Counter(bus.CounterSpeechFailovers), recovered: c.Counter(bus.CounterSpeechRecovered),
	}
	if es, ok := cfg.Speaker.(EarconSpeaker); ok && cfg.Earcons {
		s.earcons = es
	}
	var err error
	// Utterances are moved to the stage's own queue as soon as they arrive, so this one only
	// needs room for a burst; the stage's queue applies the drop policy and reports each drop.
	s.utterances, err = bus.SubscribeEvents[bus.Utterance](conn, bus.SubjectUtterances, bus.QueueConfig{
		Name: "speech.utterances", Size: 64, Policy: bus.DropOldest, Counters: c,
	})
	if err != nil {
		return nil, fmt.Errorf("speech: %w", err)
	}
	s.controls, err = bus.SubscribeEvents[bus.SpeechControl](conn, bus.SubjectSpeechControl, bus.QueueConfig{
		Name: "speech.controls", Size: 16, Policy: bus.DropOldest, Counters: c,
	})
	if err != nil {
		s.closeQueues()
		return nil, fmt.Errorf("speech: %w", err)
	}
	s.settings, err = bus.SubscribeRequests[bus.SpeechSettings](conn, bus.SubjectSpeechSettings, bus.QueueConfig{
		Name: "speech.settings", Size: 8, Policy: bus.DropNewest, Counters: c,
	})
	if err != nil {
		s.closeQueues()
		return nil, fmt.Errorf("speech: %w", err)
	}
	if s.earcons != nil {
		for _, r := range cfg.EarconRules {
			q, err := bus.SubscribeRaw(conn, r.Subject, bus.QueueConfig{
				Name: "speech.earcon_events", Size: 4, Policy: bus.DropOldest, Counters: c,
			})
			if err != nil {
				s.closeQueues()
				return nil, fmt.Errorf("speech: earcon rule: %w", err)
			}
			s.cues = append(s.cues, q)
		}
	}
	if err := conn.Flush(); err != nil {
		s.closeQueues()
		return nil, fmt.Errorf("speech: %w", err)
	}
	return s, nil
}

func (s *Stage) closeQueues() {
	if s.utterances != nil {
		_ = s.utterances.Close()
	}
	if s.controls != nil {
		_ = s.controls.Close()
	}
	if s.settings != nil {
		_ = s.settings.Close()
	}
	for _, q := range s.cues {
		_ = q.Close()
	}
}

// Run speaks utterances until ctx ends, then silences what plays, reports what was left unsaid
// as dropped, and closes the speaker.
func (s *Stage) Run(ctx context.Context) error {
	defer func() { _ = s.cfg.Speaker.Close() }()
	defer s.closeQueues()
	var wg sync.WaitGroup
	wg.Go(func() { s.readControls(ctx) })
	wg.Go(func() { s.readUtterances(ctx) })
	wg.Go(func() { s.readSettings(ctx) })
	wg.Go(func() { s.recover(ctx) })
	for i, q := range s.cues {
		wg.Go(func() { s.readCues(ctx, q, s.cfg.EarconRules[i]) })
	}
	s.speak(ctx)
	wg.Wait()
	s.mu.Lock()
	s.dropPending(bus.ReasonShutdown)
	s.mu.Unlock()
	s.preps.Wait()
	s.tailWG.Wait()
	return nil
}

func (s *Stage) readUtterances(ctx context.Context) {
	for {
		u, err := s.utterances.Next(ctx)
		if err != nil {
			return
		}
		s.add(ctx, &item{u: u, urgent: u.Priority == bus.PriorityUrgent,
			announce: u.Priority == bus.PriorityAnnouncement || u.Kind == bus.KindAnnouncement})
	}
}

func (s *Stage) readControls(ctx context.Context) {
	for {
		c, err := s.controls.Next(ctx)
		if err != nil {
			return
		}
		s.control(ctx, c)
	}
}

func (s *Stage) readCues(ctx context.Context, q *bus.Queue[bus.Message], r EarconRule) {
	var (
		last     string
		lastTime time.Time
	)
	for {
		m, err := q.Next(ctx)
		if err != nil {
			return
		}
		key, ok := r.Match(m)
		if !ok || (key != "" && key == last) || (r.Every > 0 && time.Since(lastTime) < r.Every) {
			continue
		}
		last, lastTime = key, time.Now()
		s.add(ctx, &item{earcon: r.Earcon, queued: lastTime})
	}
}

// speak plays items one at a time until ctx ends. An item queued on an output stream stops
// being the current one once all of it has been handed over: the next one is then queued
// behind it, while its tail is heard.
func (s *Stage) speak(ctx context.Context) {
	for {
		it, pctx, done := s.take(ctx)
		if it == nil {
			return
		}
		if tail := s.play(ctx, pctx, it); tail != nil {
			s.toTail(it)
			s.tailWG.Go(func() {
				tail()
				done()
			})
			continue
		}
		done()
	}
}

// take waits for the next item and makes it the current one.
func (s *Stage) take(ctx context.Context) (*item, context.Context, func()) {
	for {
		s.mu.Lock()
		if len(s.pending) > 0 {
			it := s.pending[0]
			s.pending = s.pending[1:]
			pctx, silence := context.WithCancelCause(ctx)
			p := &playing{it: it, silence: silence}
			s.current = p
			s.mu.Unlock()
			return it, pctx, func() {
				s.mu.Lock()
				if s.current == p {
					s.current = nil
				}
				s.tails = slices.DeleteFunc(s.tails, func(t *playing) bool { return t == p })
				s.mu.Unlock()
				silence(nil)
			}
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, nil, nil
		case <-s.wake:
		}
	}
}

// event starts a speech event about u, stamped now.
func (s *Stage) event(u bus.Utterance, state, reason string) bus.SpeechEvent {
	return bus.SpeechEvent{
		UtteranceID: u.ID, Camera: u.Camera, Text: u.Text, Backend: s.cfg.Speaker.Name(), Kind: u.Kind, Topic: u.Topic,
		CapturedAt: u.CapturedAt, State: state, Reason: reason, At: time.Now().UTC(),
	}
}

func (s *Stage) publish(ev bus.SpeechEvent) {
	ev.ID = bus.NewID()
	if err := s.conn.PublishEvent(bus.SubjectSpeech, ev); err != nil {
		s.cfg.Logger.Warn("speech event not published", "err", err)
	}
}
