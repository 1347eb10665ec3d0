package narrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/announce"
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
	// what was said. Default: 0.4.
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

// loadPrompt sets the prompt from the preset or the file.
func (s *Stage) loadPrompt() error {
	if s.cfg.PromptFile != "" {
		st, err := os.Stat(s.cfg.PromptFile)
		if err != nil {
			return fmt.Errorf("prompt file: %w", err)
		}
		text, err := readPromptFile(s.cfg.PromptFile)
		if err != nil {
			return err
		}
		s.promptStat = st
		s.prompt = bus.Prompt{ID: bus.NewID(), Preset: "file", File: s.cfg.PromptFile, Text: text, At: time.Now().UTC()}
		return nil
	}
	name := s.cfg.Prompt
	if name == "" {
		name = "describe"
		if s.cfg.Mode == ModeDirector {
			name = "director"
		}
	}
	text, ok := Presets[name]
	if !ok {
		return fmt.Errorf("prompt preset %q: use one of %s, or a file", name, strings.Join(PresetNames(), ", "))
	}
	s.prompt = bus.Prompt{ID: bus.NewID(), Preset: name, Text: text, At: time.Now().UTC()}
	return nil
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

// description applies the policy to a partial or final description.
func (s *Stage) description(d bus.Description, now time.Time) {
	s.camera = d.Camera
	purpose, requested := "", false
	if d.RequestID != "" {
		purpose, requested = s.pending.Get(d.RequestID)
	}
	director := s.policy.Mode() == ModeDirector && purpose != bus.ControlAsk
	if d.Partial {
		if director {
			return // cues are parsed from the final text only
		}
		if say := s.policy.Partial(d, requested, now); say != nil {
			s.utter(d.Camera, d.ID, d.CapturedAt, *say, now)
		}
		return
	}
	if requested {
		s.forgetRequest(d.RequestID)
	}
	if director && d.Error == "" {
		cue := ParseCues(d.Text)
		if len(cue.All) == 0 {
			if s.cuesInvalid.Add(1) == 1 { // then counted, and logged with the other losses
				s.cfg.Logger.Warn("director: the model's answer holds no key: value cues (a backend that takes no prompt, such as the heuristic, cannot give any)", "description", d.ID, "backend", d.Backend)
			}
		} else {
			cue.ID, cue.Camera, cue.DescriptionID, cue.CapturedAt, cue.At = bus.NewID(), d.Camera, d.ID, d.CapturedAt, now
			if bus.ValidateCamera(d.Camera) == nil {
				s.publish(bus.CueSubject(d.Camera), cue)
			}
			if requested {
				d.Text = RenderCues(cue)
			}
		}
	}
	v := s.policy.Final(d, requested, now)
	text := v.Text
	if text == "" {
		text = strings.TrimSpace(d.Text)
	}
	dec := bus.Decision{
		ID: bus.NewID(), Camera: d.Camera, DescriptionID: d.ID, Text: text, Action: v.Action,
		Reason: v.Reason, DuplicateOf: v.DuplicateOf, CapturedAt: d.CapturedAt, DecidedAt: now,
	}
	switch {
	case v.Say != nil:
		dec.UtteranceID = s.utter(d.Camera, d.ID, d.CapturedAt, *v.Say, now)
	case v.Action == bus.ActionSpeak:
		dec.UtteranceID = s.utteranceOf(d.ID) // said while streaming
	}
	if v.Action == bus.ActionSuppress {
		s.suppressed.Add(1)
		if v.Reason == bus.ReasonStale {
			s.stale.Add(1)
		}
	}
	s.publish(bus.SubjectDecisions, dec)
}

// utter publishes an utterance and remembers which description it says.
func (s *Stage) utter(camera, descriptionID string, capturedAt time.Time, say Say, now time.Time) string {
	u := bus.Utterance{
		ID: bus.NewID(), Camera: camera, DescriptionID: descriptionID, Text: say.Text,
		Priority: say.Priority, CapturedAt: capturedAt, CreatedAt: now, NotAfter: say.NotAfter, Kind: bus.KindNarration,
	}
	s.send(u)
	return u.ID
}

// sent is an utterance the stage published, remembered to match the speech stage's events.
type sent struct {
	u       bus.Utterance
	resends int
}

// send publishes u and remembers it.
func (s *Stage) send(u bus.Utterance) {
	s.utterances.Put(u.ID, &sent{u: u})
	s.spoken.Add(1)
	s.publish(bus.SubjectUtterances, u)
}

// speechEvent learns from what the speech stage did with an utterance. One it dropped unspoken
// is forgotten by the policy. One it dropped as paused although narration is not paused raced
// a resume (controls and utterances travel on different subjects), so it is sent once more.
func (s *Stage) speechEvent(e bus.SpeechEvent) {
	st, ok := s.utterances.Get(e.UtteranceID)
	if !ok || e.State != bus.SpeechDropped {
		return
	}
	if e.Reason == bus.ReasonPaused && !s.policy.Paused() && st.resends == 0 {
		again := st.u
		again.ID = bus.NewID()
		s.send(again)
		if st, ok := s.utterances.Get(again.ID); ok {
			st.resends = 1
		}
		return
	}
	s.policy.Unspoken(st.u.DescriptionID)
}

// utteranceOf is the first utterance published for a description, "" if none is remembered.
func (s *Stage) utteranceOf(descriptionID string) string {
	for id, st := range s.utterances.All() {
		if st.u.DescriptionID == descriptionID {
			return id
		}
	}
	return ""
}

// expectRequest remembers a describe request until its description arrives.
func (s *Stage) expectRequest(id, purpose string) {
	s.pending.Put(id, purpose)
}

func (s *Stage) forgetRequest(id string) {
	s.pending.Delete(id)
}

// describeResult is the inference stage's answer to a describe request made for a control.
type describeResult struct {
	control bus.Request[bus.Control]
	request bus.DescribeRequest
	reply   bus.DescribeReply
	err     error
}

// control carries out one control request and acknowledges it. Describe and ask are
// acknowledged once the inference stage has accepted them (see described).
func (s *Stage) control(ctx context.Context, wg *sync.WaitGroup, r bus.Request[bus.Control], results chan<- describeResult, now time.Time) {
	c := r.Body
	if r.Err != nil {
		s.controlsBad.Add(1)
		s.acknowledge(plainFailure(r.Err))
		s.answer(r, "", r.Err, "")
		return
	}
	before := s.policy.Verbosity()
	var msg string
	var err error
	switch c.Command {
	case bus.ControlPause:
		s.setPaused(true, now)
		msg = "paused"
	case bus.ControlResume:
		s.setPaused(false, now)
		msg = "resumed"
	case bus.ControlStop:
		s.speechControl(bus.SpeechStop, now)
		msg = "stopped what was being said"
	case bus.ControlRepeat:
		id, text := s.policy.LastSaid()
		if text == "" {
			err = errors.New("nothing has been said yet")
			break
		}
		s.setPaused(false, now)
		s.utter(s.camera, id, now, Say{Text: text, Priority: bus.PriorityUrgent, NotAfter: now.Add(s.policy.cfg.StaleAfter)}, now)
		msg = "repeating: " + text
	case bus.ControlVerbosity:
		msg, err = s.verbosity(c.Verbosity)
	case bus.ControlStatus:
		msg = "ok"
	case bus.ControlHelp:
		msg = "help"
	case bus.ControlRate, bus.ControlVolume:
		if strings.TrimSpace(c.Value) == "" {
			err = fmt.Errorf("%s needs up, down or a number", c.Command)
			break
		}
		s.requestSettings(ctx, wg, r, s.settingsResults, now)
		return
	case bus.ControlDescribe, bus.ControlAsk:
		if c.Command == bus.ControlAsk && strings.TrimSpace(c.Text) == "" {
			err = errors.New(`ask needs a question, e.g. narrator ctl ask "what colour is the cup?"`)
			break
		}
		if s.asking >= maxPending {
			err = fmt.Errorf("busy: %d describe requests are still waiting for the inference stage; try again", s.asking)
			break
		}
		s.setPaused(false, now)
		s.asking++
		s.requestDescription(ctx, wg, r, results, now)
		return
	default:
		s.controlsBad.Add(1)
		err = fmt.Errorf("unknown command %q: use describe, repeat, pause, resume, stop, ask, verbosity, rate, volume, help or status", c.Command)
	}
	if a, ok := s.ackFor(c, before, err); ok {
		s.acknowledge(a)
		if err == nil && c.Command != bus.ControlHelp {
			msg = a.Text
		}
	}
	s.answer(r, msg, err, "")
}

// verbosity changes the verbosity by up, down or a level name.
func (s *Stage) verbosity(arg string) (string, error) {
	v := s.policy.Verbosity()
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "up", "+", "more":
		v++
	case "down", "-", "less":
		v--
	default:
		var ok bool
		if v, ok = ParseVerbosity(arg); !ok {
			return "", fmt.Errorf("verbosity %q: use up, down, short, normal or detailed", arg)
		}
	}
	s.policy.SetVerbosity(v)
	return "verbosity " + s.policy.Verbosity().String(), nil
}

// setPaused pauses or resumes narration and tells the speech stage, when that changes anything.
func (s *Stage) setPaused(paused bool, now time.Time) {
	if s.policy.Paused() == paused {
		return
	}
	s.policy.SetPaused(paused)
	if paused {
		s.speechControl(bus.SpeechPause, now)
	} else {
		s.speechControl(bus.SpeechResume, now)
	}
}

func (s *Stage) speechControl(command string, now time.Time) {
	s.publish(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: command, Reason: "user", At: now})
}

// requestDescription asks the inference stage, from a goroutine of its own, to describe the
// newest frame; the answer comes back to Run on results.
func (s *Stage) requestDescription(ctx context.Context, wg *sync.WaitGroup, r bus.Request[bus.Control], results chan<- describeResult, now time.Time) {
	req := bus.DescribeRequest{ID: bus.NewID(), Camera: r.Body.Camera, Prompt: s.prompt.Text, Purpose: r.Body.Command, At: now}
	if r.Body.Command == bus.ControlAsk {
		req.Prompt = askPrompt(strings.TrimSpace(r.Body.Text))
	}
	s.expectRequest(req.ID, req.Purpose) // before asking: the description may beat the reply
	wg.Go(func() {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		res := describeResult{control: r, request: req}
		res.err = s.conn.RequestEvent(rctx, bus.SubjectDescribe, req, &res.reply)
		select {
		case results <- res:
		case <-ctx.Done():
		}
	})
}

// described acknowledges a describe or ask control once the inference stage answered.
func (s *Stage) described(r describeResult) {
	var err error
	switch {
	case errors.Is(r.err, bus.ErrNoResponder):
		err = errNoInference
	case errors.Is(r.err, context.DeadlineExceeded):
		err = fmt.Errorf("the inference stage did not accept the request within %s", s.cfg.RequestTimeout)
	case r.err != nil:
		err = r.err
	case !r.reply.OK:
		err = fmt.Errorf("inference: %s", r.reply.Error)
	}
	if err != nil {
		s.forgetRequest(r.request.ID)
		s.acknowledge(plainFailure(err))
		s.answer(r.control, "", err, "")
		return
	}
	s.cfg.Logger.Debug("describe request accepted", "purpose", r.request.Purpose, "frame", r.reply.FrameID, "camera", r.reply.Camera, "backend", r.reply.Backend, "uses_prompt", r.reply.UsesPrompt)
	acks := []announce.Announcement{announce.Make(announce.AckDescribe)}
	if r.request.Purpose == bus.ControlAsk {
		acks = []announce.Announcement{announce.Make(announce.AckAsk)}
		if !r.reply.UsesPrompt {
			acks = append(acks, announce.Make(announce.AckAskHeuristic))
		}
	}
	var words []string
	for _, a := range acks {
		s.acknowledge(a)
		words = append(words, a.Text)
	}
	s.answer(r.control, strings.Join(words, " "), nil, r.request.ID)
}

// answer replies to a control request with the narrator's state, and for describe and ask the
// id of the describe request made.
func (s *Stage) answer(r bus.Request[bus.Control], msg string, err error, describeID string) {
	rep := bus.ControlReply{
		ID: bus.NewID(), RequestID: r.Body.ID, OK: err == nil, Message: msg, DescribeID: describeID, Mode: string(s.policy.Mode()),
		Verbosity: s.policy.Verbosity().String(), Paused: s.policy.Paused(), Prompt: s.prompt, At: time.Now().UTC(),
	}
	if err != nil {
		rep.Error = err.Error()
		s.cfg.Logger.Info("control refused", "command", r.Body.Command, "err", err)
	} else {
		s.cfg.Logger.Debug("control", "command", r.Body.Command, "result", msg)
	}
	if err := s.conn.Reply(r, rep); err != nil {
		s.cfg.Logger.Warn("control reply not sent", "err", err)
	}
}

// reloadPrompt reads the prompt file again when it changed, and publishes the new prompt.
func (s *Stage) reloadPrompt() {
	st, err := os.Stat(s.cfg.PromptFile)
	if err != nil {
		if s.promptStat != nil {
			s.cfg.Logger.Warn("prompt file unreadable, keeping the last prompt", "err", err)
		}
		s.promptStat = nil
		return
	}
	if s.promptStat != nil && st.ModTime().Equal(s.promptStat.ModTime()) && st.Size() == s.promptStat.Size() {
		return
	}
	s.promptStat = st
	text, err := readPromptFile(s.cfg.PromptFile)
	if err != nil {
		s.cfg.Logger.Warn("keeping the last prompt", "err", err)
		return
	}
	if text == s.prompt.Text {
		return
	}
	s.prompt = bus.Prompt{ID: bus.NewID(), Preset: "file", File: s.cfg.PromptFile, Text: text, At: time.Now().UTC()}
	s.cfg.Logger.Info("prompt file changed; using the new prompt", "file", s.cfg.PromptFile)
	s.publish(bus.SubjectPrompt, s.prompt)
}

func (s *Stage) publish(subject string, v any) {
	if err := s.conn.PublishEvent(subject, v); err != nil {
		s.cfg.Logger.Warn("event not published", "subject", subject, "err", err)
	}
}
