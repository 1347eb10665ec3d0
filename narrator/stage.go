package narrator

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/recent"
)

// Config configures the narrator stage.
type Config struct {
	// Subject is where descriptions are read. Default: bus.AllDescriptions.
	Subject string
	// Mode is what is said unasked. Default: ModeNarrate.
	Mode Mode
	// Verbosity is how much of each description is said. Default: Normal.
	Verbosity Verbosity
	// Similarity is the content-word similarity (0-1) at or above which a description repeats
	// what was said. Default: DefaultSimilarity.
	Similarity float64
	// StaleAfter is how long after its frame was captured an utterance may still start.
	// Default: 8s.
	StaleAfter time.Duration
	// Refresh is, in ModeNarrate, the silence after which an unchanged scene is said again.
	// Default: 30s.
	Refresh time.Duration
	// UrgentKeywords make a description urgent when it mentions one. Default: DefaultUrgentKeywords.
	UrgentKeywords []string
	// Prompt is the name of the built-in prompt preset (see Presets). Default: "director" in
	// ModeDirector, else "describe".
	Prompt string
	// PromptFile, when set, replaces Prompt: the prompt is read from this file and read again
	// whenever the file changes. Default: none.
	PromptFile string
	// PromptPoll is how often PromptFile is checked for changes. Default: 1s.
	PromptPoll time.Duration
	// RequestTimeout is how long a describe-now or ask waits for the inference stage to accept
	// it. Default: 5s.
	RequestTimeout time.Duration
	// Counters receives the stage's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the stage logs. Default: slog.Default().
	Logger *slog.Logger
}

// maxPending bounds the describe requests awaiting their description, and maxUtterances the
// utterances remembered to match speech events; the oldest are forgotten first.
const (
	maxPending    = 16
	maxUtterances = 64
)

// Stage applies the policy to descriptions, publishes a decision for each final one and an
// utterance for everything to be said, publishes director cues and the active prompt, and
// answers control requests. One goroutine (Run's) owns all of its state.
type Stage struct {
	cfg          Config
	conn         *bus.Conn
	descriptions *bus.Queue[bus.Description]
	controls     *bus.Queue[bus.Request[bus.Control]]
	speech       *bus.Queue[bus.SpeechEvent]
	policy       *Policy

	prompt     bus.Prompt
	promptStat os.FileInfo
	camera     string                        // the camera of the last description, for repeats
	pending    *recent.Index[string, string] // describe request id → purpose
	asking     int                           // describe requests whose acknowledgement has not come back yet
	utterances *recent.Index[string, *sent]  // by utterance id
	// settingsResults brings the speech stage's answers to rate and volume controls to Run.
	settingsResults chan settingsResult

	spoken, suppressed, stale, cuesInvalid, controlsBad *bus.Counter
}

// New validates cfg, reads the prompt, and subscribes to descriptions, controls and speech
// events on conn.
func New(conn *bus.Conn, cfg Config) (*Stage, error) {
	if cfg.Subject == "" {
		cfg.Subject = bus.AllDescriptions
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeNarrate
	}
	if cfg.PromptPoll <= 0 {
		cfg.PromptPoll = time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "narrator")
	policy, err := NewPolicy(PolicyConfig{
		Mode: cfg.Mode, Verbosity: cfg.Verbosity, Similarity: cfg.Similarity, Refresh: cfg.Refresh,
		StaleAfter: cfg.StaleAfter, UrgentKeywords: cfg.UrgentKeywords,
	})
	if err != nil {
		return nil, fmt.Errorf("narrator: %w", err)
	}
	s := &Stage{
		cfg: cfg, conn: conn, policy: policy,
		pending: recent.New[string, string](maxPending), utterances: recent.New[string, *sent](maxUtterances),
		spoken:      cfg.Counters.Counter(bus.CounterNarratorSpoken),
		suppressed:  cfg.Counters.Counter(bus.CounterNarratorSuppressed),
		stale:       cfg.Counters.Counter(bus.CounterNarratorStale),
		cuesInvalid: cfg.Counters.Counter(bus.CounterNarratorCuesInvalid),
		controlsBad: cfg.Counters.Counter(bus.CounterNarratorControlsInvalid),
	}
	if err := s.loadPrompt(); err != nil {
		return nil, fmt.Errorf("narrator: %w", err)
	}
	s.descriptions, err = bus.SubscribeEvents[bus.Description](conn, cfg.Subject, bus.QueueConfig{
		Name: "narrator.descriptions", Size: 32, Policy: bus.DropOldest, Counters: cfg.Counters,
	})
	if err == nil {
		s.controls, err = bus.SubscribeRequests[bus.Control](conn, bus.SubjectControl, bus.QueueConfig{
			Name: "narrator.controls", Size: 8, Policy: bus.DropNewest, Counters: cfg.Counters,
		})
	}
	if err == nil {
		s.speech, err = bus.SubscribeEvents[bus.SpeechEvent](conn, bus.SubjectSpeech, bus.QueueConfig{
			Name: "narrator.speech", Size: 16, Policy: bus.DropOldest, Counters: cfg.Counters,
		})
	}
	if err == nil {
		err = conn.Flush() // the subscriptions are live once New returns
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("narrator: %w", err)
	}
	return s, nil
}

// close unsubscribes whatever was subscribed.
func (s *Stage) close() {
	if s.descriptions != nil {
		_ = s.descriptions.Close()
	}
	if s.controls != nil {
		_ = s.controls.Close()
	}
	if s.speech != nil {
		_ = s.speech.Close()
	}
}

// Run narrates and answers controls until ctx ends, then returns after every goroutine it
// started has exited.
func (s *Stage) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		s.close()
	}()
	descriptions := pump(ctx, &wg, s.descriptions)
	controls := pump(ctx, &wg, s.controls)
	speech := pump(ctx, &wg, s.speech)
	results := make(chan describeResult)
	s.settingsResults = make(chan settingsResult)
	var poll <-chan time.Time
	if s.cfg.PromptFile != "" {
		t := time.NewTicker(s.cfg.PromptPoll)
		defer t.Stop()
		poll = t.C
	}
	s.publish(bus.SubjectPrompt, s.prompt)
	s.cfg.Logger.Info("narrating", "mode", s.cfg.Mode, "verbosity", s.policy.Verbosity(), "prompt", strings.TrimSpace(s.prompt.Preset+" "+s.prompt.File))
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-descriptions:
			s.description(d, time.Now().UTC())
		case r := <-controls:
			s.control(ctx, &wg, r, results, time.Now().UTC())
		case e := <-speech:
			s.speechEvent(e)
		case r := <-results:
			s.asking--
			s.described(r)
		case r := <-s.settingsResults:
			s.settingsDone(r)
		case <-poll:
			s.reloadPrompt()
		}
	}
}

// pump forwards a queue's messages to a channel until ctx ends, so one goroutine can select
// over several queues.
func pump[T any](ctx context.Context, wg *sync.WaitGroup, q *bus.Queue[T]) <-chan T {
	ch := make(chan T)
	wg.Go(func() {
		for {
			v, err := q.Next(ctx)
			if err != nil {
				return
			}
			select {
			case ch <- v:
			case <-ctx.Done():
				return
			}
		}
	})
	return ch
}

func (s *Stage) publish(subject string, v any) {
	if err := s.conn.PublishEvent(subject, v); err != nil {
		s.cfg.Logger.Warn("event not published", "subject", subject, "err", err)
	}
}
