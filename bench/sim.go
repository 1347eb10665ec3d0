package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/speech"
)

// SimulationLabel is printed with every bench result: none of its figures comes from a model or
// from audio.
const SimulationLabel = "SIMULATION: the model and the speaker are simulated (timing only); the rest of the pipeline is real"

// SimModelConfig is the timing of the simulated model.
type SimModelConfig struct {
	// TTFT is the time from a call to its first token. Default: DefaultTTFT.
	TTFT time.Duration
	// TokensPerSecond is the rate of the tokens after the first. Default: DefaultTokensPerSecond.
	TokensPerSecond float64
}

// simModelJSON is SimModelConfig in JSON, with TTFT in milliseconds.
type simModelJSON struct {
	TTFTMS          float64 `json:"ttft_ms"`
	TokensPerSecond float64 `json:"tokens_per_second"`
}

func (c SimModelConfig) withDefaults() SimModelConfig {
	if c.TTFT <= 0 {
		c.TTFT = DefaultTTFT
	}
	if c.TokensPerSecond <= 0 {
		c.TokensPerSecond = DefaultTokensPerSecond
	}
	return c
}

// MarshalJSON writes TTFT in milliseconds.
func (c SimModelConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(simModelJSON{TTFTMS: float64(c.TTFT.Microseconds()) / 1000, TokensPerSecond: c.TokensPerSecond})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *SimModelConfig) UnmarshalJSON(data []byte) error {
	var v simModelJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*c = SimModelConfig{TTFT: time.Duration(v.TTFTMS * float64(time.Millisecond)), TokensPerSecond: v.TokensPerSecond}
	return nil
}

// simModel is the bench's stand-in for a vision model. It is a simulation and says so: its text
// comes from the heuristic describer (which measures the frame's colours and changes, so
// scenes differ and repeats look like repeats), or on the motion clip from a script that
// repeats itself in other words while the ball rolls, and its timing is made up: the first word
// after TTFT, then one word per token at TokensPerSecond, streamed as partials. It honours
// cancellation at once, as the OpenAI and mlx backends do. It lives only in the bench and
// cannot be chosen as a product backend.
type simModel struct {
	cfg   SimModelConfig
	text  *inference.Heuristic
	mu    sync.Mutex
	calls []modelCall
	texts map[string][]time.Time // frame id → when each partial was handed to the stage, and the return
	// truth and script, when set, give the text instead of the heuristic: the lines of the
	// scene a frame was captured in, in turn (see motionScript).
	truth  groundTruth
	script [][]string
	said   int
}

// modelCall is one Describe call as the simulated model saw it.
type modelCall struct {
	frame      bus.Frame
	start, end time.Time
	firstToken time.Time
	cancelled  bool
}

func newSimModel(cfg SimModelConfig, truth groundTruth) *simModel {
	m := &simModel{cfg: cfg.withDefaults(), text: inference.NewHeuristic(), texts: map[string][]time.Time{}}
	if _, ok := truth.(*motionClip); ok {
		m.truth, m.script = truth, motionScript
	}
	return m
}

// scripted is the script's next line for a frame captured at t, if the model follows one.
func (m *simModel) scripted(t time.Time) (string, bool) {
	if m.script == nil {
		return "", false
	}
	scene, _ := m.truth.SceneAt(t)
	lines := m.script[scene%len(m.script)]
	m.mu.Lock()
	defer m.mu.Unlock()
	m.said++
	return lines[m.said%len(lines)], true
}

// Info names the simulation.
func (m *simModel) Info() inference.Info {
	return inference.Info{Backend: "simulated", Model: fmt.Sprintf("simulation (ttft %s, %g tokens/s)", m.cfg.TTFT, m.cfg.TokensPerSecond)}
}

// Describe waits as a model would and streams the heuristic's text word by word.
func (m *simModel) Describe(ctx context.Context, f bus.Frame, partial func(string)) (inference.Result, error) {
	c := modelCall{frame: f, start: time.Now()}
	defer func() {
		c.end = time.Now()
		m.mu.Lock()
		m.calls = append(m.calls, c)
		m.texts[f.ID] = append(m.texts[f.ID], c.end)
		m.mu.Unlock()
	}()
	res, err := m.text.Describe(ctx, f, nil)
	if err != nil {
		return inference.Result{}, err
	}
	if text, ok := m.scripted(f.CapturedAt); ok {
		res.Text = text
	}
	words := strings.Fields(res.Text)
	if len(words) == 0 {
		words = []string{"Nothing", "to", "see."}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	perToken := time.Duration(float64(time.Second) / m.cfg.TokensPerSecond)
	for i := range words {
		timer.Reset(time.Until(c.start.Add(m.cfg.TTFT + time.Duration(i)*perToken)))
		select {
		case <-ctx.Done():
			c.cancelled = true
			return inference.Result{}, ctx.Err()
		case <-timer.C:
		}
		if i == 0 {
			c.firstToken = time.Now()
		}
		if partial != nil {
			m.mu.Lock()
			m.texts[f.ID] = append(m.texts[f.ID], time.Now())
			m.mu.Unlock()
			partial(strings.Join(words[:i+1], " "))
		}
	}
	return inference.Result{Text: strings.Join(words, " "), FirstTokenAt: c.firstToken,
		Metadata: map[string]any{"simulated": true, "note": "bench simulation: heuristic text, made-up timing"}}, nil
}

// textBefore is the last time before t that the model handed text for frame id to the stage
// (a partial, or its return), or zero.
func (m *simModel) textBefore(id string, t time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	var last time.Time
	for _, at := range m.texts[id] {
		if !at.After(t) {
			last = at
		}
	}
	return last
}

// busyAt reports whether a call was running at t.
func (m *simModel) busyAt(t time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.calls {
		if !t.Before(c.start) && t.Before(c.end) {
			return true
		}
	}
	return false
}

// simSpeaker is the bench's stand-in for a voice: it records when audio would start and
// "speaks" for as long as the words take at WordsPerMinute. It is a simulation and says so.
type simSpeaker struct {
	wpm   float64
	mu    sync.Mutex
	plays []play
}

// play is one utterance as the simulated speaker said it.
type play struct {
	text       string
	start, end time.Time
}

func newSimSpeaker(wpm float64) *simSpeaker {
	if wpm <= 0 {
		wpm = 180
	}
	return &simSpeaker{wpm: wpm}
}

// duration is how long text takes to say.
func (s *simSpeaker) duration(text string) time.Duration {
	return time.Duration(float64(len(strings.Fields(text))) / s.wpm * float64(time.Minute))
}

// Prepare returns a clip that records its start and waits for as long as text takes to say.
func (s *simSpeaker) Prepare(_ context.Context, text string) (speech.Clip, error) {
	return clip{s: s, text: text}, nil
}

// Name names the simulation.
func (s *simSpeaker) Name() string { return "simulated" }

// Close does nothing.
func (s *simSpeaker) Close() error { return nil }

// speak "says" text: it blocks for its duration or until ctx ends.
func (s *simSpeaker) speak(ctx context.Context, text string) error {
	p := play{text: text, start: time.Now()}
	t := time.NewTimer(s.duration(text))
	defer t.Stop()
	var err error
	select {
	case <-ctx.Done():
		err = context.Cause(ctx)
	case <-t.C:
	}
	p.end = time.Now()
	s.mu.Lock()
	s.plays = append(s.plays, p)
	s.mu.Unlock()
	return err
}

// busyAt reports whether the speaker was speaking at t.
func (s *simSpeaker) busyAt(t time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.plays {
		if !t.Before(p.start) && t.Before(p.end) {
			return true
		}
	}
	return false
}

type clip struct {
	s    *simSpeaker
	text string
}

func (c clip) Play(ctx context.Context) error { return c.s.speak(ctx, c.text) }
