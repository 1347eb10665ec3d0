package speech

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// fakeSpeaker is a test double: its clips report when they start and play until the test
// finishes them or they are silenced.
type fakeSpeaker struct {
	mu       sync.Mutex
	prepared []string
	started  chan string   // the text of each clip as it starts playing
	finish   chan struct{} // a send ends the playing clip normally
	silenced chan string   // the text of each clip silenced while playing
	hold     chan struct{} // when set, Prepare waits for it to close
	failOn   string        // Prepare fails for this text
	closed   bool
}

func newFake() *fakeSpeaker {
	return &fakeSpeaker{started: make(chan string, 32), finish: make(chan struct{}), silenced: make(chan string, 32)}
}

func (f *fakeSpeaker) Prepare(ctx context.Context, text string) (Clip, error) {
	f.mu.Lock()
	f.prepared = append(f.prepared, text)
	hold := f.hold
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if text == f.failOn {
		return nil, errors.New("synthesizer broke")
	}
	return f.clip(text), nil
}

func (f *fakeSpeaker) clip(text string) Clip {
	return clipFunc(func(ctx context.Context) error {
		f.started <- text
		select {
		case <-f.finish:
			return nil
		case <-ctx.Done():
			f.silenced <- text
			return context.Cause(ctx)
		}
	})
}

func (f *fakeSpeaker) EarconClip(e Earcon) Clip { return f.clip("earcon:" + string(e)) }
func (f *fakeSpeaker) Name() string             { return "fake" }
func (f *fakeSpeaker) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fakeSpeaker) preparedTexts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.prepared)
}

type harness struct {
	t      *testing.T
	fake   *fakeSpeaker
	pub    *bus.Conn
	events *bus.Queue[bus.SpeechEvent]
	stage  *Stage
}

func startStage(t *testing.T, cfg Config) *harness {
	t.Helper()
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "test")
	h := &harness{t: t, fake: newFake(), pub: pub, events: bustest.Collect[bus.SpeechEvent](t, pub, bus.SubjectSpeech, 64)}
	if cfg.Speaker == nil {
		cfg.Speaker = h.fake
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	s, err := New(bustest.Conn(t, srv, "speech"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.stage = s
	bustest.Run(t, s)
	return h
}

func (h *harness) say(id, text, priority string, notAfter time.Duration) {
	h.t.Helper()
	now := time.Now().UTC()
	u := bus.Utterance{ID: id, Camera: "cam0", Text: text, Priority: priority, CapturedAt: now, CreatedAt: now, NotAfter: now.Add(notAfter)}
	if err := h.pub.PublishEvent(bus.SubjectUtterances, u); err != nil {
		h.t.Fatal(err)
	}
}

// waitResumed waits until the stage has applied a resume: controls and utterances travel
// apart, so an utterance sent right after a resume could otherwise overtake it.
func (h *harness) waitResumed() {
	h.t.Helper()
	bustest.Eventually(h.t, 5*time.Second, "resumed", func() bool {
		h.stage.mu.Lock()
		defer h.stage.mu.Unlock()
		return !h.stage.paused
	})
}

func (h *harness) control(cmd string) {
	h.t.Helper()
	if err := h.pub.PublishEvent(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: cmd, At: time.Now().UTC()}); err != nil {
		h.t.Fatal(err)
	}
}

// expect waits for the next speech event and checks its utterance, state and reason.
func (h *harness) expect(id, state, reason string) bus.SpeechEvent {
	h.t.Helper()
	ev := bustest.Next(h.t, h.events, 5*time.Second)
	if ev.UtteranceID != id || ev.State != state || ev.Reason != reason {
		h.t.Fatalf("event %s %s %q, want %s %s %q", ev.UtteranceID, ev.State, ev.Reason, id, state, reason)
	}
	return ev
}

func (h *harness) started(want string) {
	h.t.Helper()
	select {
	case got := <-h.fake.started:
		if got != want {
			h.t.Fatalf("started playing %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		h.t.Fatalf("%q never started playing", want)
	}
}

func (h *harness) silenced(want string) {
	h.t.Helper()
	select {
	case got := <-h.fake.silenced:
		if got != want {
			h.t.Fatalf("silenced %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		h.t.Fatalf("%q was never silenced", want)
	}
}

func TestStageSpeaksAndReports(t *testing.T) {
	h := startStage(t, Config{})
	h.say("u1", "a red cup", bus.PriorityNormal, time.Minute)
	h.started("a red cup")
	ev := h.expect("u1", bus.SpeechStarted, "")
	if ev.Backend != "fake" || ev.Text != "a red cup" || ev.SpokenAt.IsZero() || ev.GlassToEarMS < 0 {
		t.Fatalf("started event incomplete: %+v", ev)
	}
	h.fake.finish <- struct{}{}
	h.expect("u1", bus.SpeechFinished, "")
	bustest.Eventually(t, 5*time.Second, "spoken counted", func() bool { return h.stage.spoken.Load() == 1 })
}

func TestStageDropsStaleUtterance(t *testing.T) {
	h := startStage(t, Config{})
	h.say("old", "too late", bus.PriorityNormal, -time.Second)
	h.expect("old", bus.SpeechDropped, bus.ReasonStale)
	if got := h.stage.stale.Load(); got != 1 {
		t.Fatalf("stale counter %d, want 1", got)
	}
	if p := h.fake.preparedTexts(); len(p) != 0 {
		t.Fatalf("a stale utterance was synthesized: %q", p)
	}
}

func TestStageDropsUtteranceThatGoesStaleWhileWaiting(t *testing.T) {
	h := startStage(t, Config{})
	h.say("u1", "first", bus.PriorityNormal, time.Minute)
	h.started("first")
	h.expect("u1", bus.SpeechStarted, "")
	h.say("u2", "short-lived", bus.PriorityNormal, 50*time.Millisecond)
	bustest.Eventually(t, 5*time.Second, "u2 synthesized", func() bool { return slices.Contains(h.fake.preparedTexts(), "short-lived") })
	deadline := time.Now().Add(60 * time.Millisecond)
	bustest.Eventually(t, 5*time.Second, "u2 past its not_after", func() bool { return time.Now().After(deadline) })
	h.fake.finish <- struct{}{}
	h.expect("u1", bus.SpeechFinished, "")
	h.expect("u2", bus.SpeechDropped, bus.ReasonStale)
}

func TestStageNewestWinsWhenQueueFull(t *testing.T) {
	h := startStage(t, Config{QueueSize: 2})
	h.say("u1", "one", bus.PriorityNormal, time.Minute)
	h.started("one")
	h.expect("u1", bus.SpeechStarted, "")
	h.say("u2", "two", bus.PriorityNormal, time.Minute)
	h.say("u3", "three", bus.PriorityNormal, time.Minute)
	h.say("u4", "four", bus.PriorityNormal, time.Minute)
	h.expect("u2", bus.SpeechDropped, bus.ReasonSuperseded)
	h.fake.finish <- struct{}{}
	h.expect("u1", bus.SpeechFinished, "")
	h.started("three")
	h.expect("u3", bus.SpeechStarted, "")
	h.fake.finish <- struct{}{}
	h.expect("u3", bus.SpeechFinished, "")
	h.started("four")
	h.expect("u4", bus.SpeechStarted, "")
	h.fake.finish <- struct{}{}
	h.expect("u4", bus.SpeechFinished, "")
}

func TestStageSynthesizesNextWhileCurrentPlays(t *testing.T) {
	h := startStage(t, Config{})
	h.say("u1", "one", bus.PriorityNormal, time.Minute)
	h.started("one")
	h.say("u2", "two", bus.PriorityNormal, time.Minute)
	bustest.Eventually(t, 5*time.Second, "the next utterance synthesized during playback",
		func() bool { return slices.Contains(h.fake.preparedTexts(), "two") })
	select {
	case s := <-h.fake.started:
		t.Fatalf("%q started while the first was still playing", s)
	default:
	}
	h.fake.finish <- struct{}{}
	h.started("two")
	h.fake.finish <- struct{}{}
}

func TestStageUrgentInterrupts(t *testing.T) {
	h := startStage(t, Config{})
	h.say("u1", "ordinary", bus.PriorityNormal, time.Minute)
	h.started("ordinary")
	h.expect("u1", bus.SpeechStarted, "")
	h.say("a1", "answer", bus.PriorityUrgent, time.Minute)
	h.silenced("ordinary")
	h.expect("u1", bus.SpeechInterrupted, bus.ReasonUrgent)
	h.started("answer")
	h.expect("a1", bus.SpeechStarted, "")
	// A second urgent utterance waits for the first rather than cutting it off.
	h.say("a2", "second answer", bus.PriorityUrgent, time.Minute)
	bustest.Eventually(t, 5*time.Second, "a2 synthesized", func() bool { return slices.Contains(h.fake.preparedTexts(), "second answer") })
	h.fake.finish <- struct{}{}
	h.expect("a1", bus.SpeechFinished, "")
	h.started("second answer")
	h.fake.finish <- struct{}{}
	h.expect("a2", bus.SpeechStarted, "")
	h.expect("a2", bus.SpeechFinished, "")
}

func TestStageStopSilencesAndDropsWaiting(t *testing.T) {
	h := startStage(t, Config{})
	h.say("u1", "one", bus.PriorityNormal, time.Minute)
	h.started("one")
	h.expect("u1", bus.SpeechStarted, "")
	h.say("u2", "two", bus.PriorityNormal, time.Minute)
	bustest.Eventually(t, 5*time.Second, "u2 queued", func() bool { return slices.Contains(h.fake.preparedTexts(), "two") })
	h.control(bus.SpeechStop)
	h.silenced("one")
	got := map[string]bus.SpeechEvent{}
	for range 2 {
		ev := bustest.Next(t, h.events, 5*time.Second)
		got[ev.UtteranceID] = ev
	}
	if ev := got["u1"]; ev.State != bus.SpeechInterrupted || ev.Reason != bus.ReasonStopped {
		t.Fatalf("u1: %s %q, want interrupted stopped", ev.State, ev.Reason)
	}
	if ev := got["u2"]; ev.State != bus.SpeechDropped || ev.Reason != bus.ReasonStopped {
		t.Fatalf("u2: %s %q, want dropped stopped", ev.State, ev.Reason)
	}
	// After a stop, speech goes on.
	h.say("u3", "three", bus.PriorityNormal, time.Minute)
	h.started("three")
	h.fake.finish <- struct{}{}
}

func TestStageControlDoesNotWaitBehindSynthesis(t *testing.T) {
	h := startStage(t, Config{})
	h.fake.mu.Lock()
	h.fake.hold = make(chan struct{}) // synthesis hangs
	h.fake.mu.Unlock()
	defer close(h.fake.hold)
	h.say("u1", "slow to synthesize", bus.PriorityNormal, time.Minute)
	bustest.Eventually(t, 5*time.Second, "synthesis under way", func() bool { return len(h.fake.preparedTexts()) == 1 })
	h.control(bus.SpeechStop)
	h.expect("u1", bus.SpeechDropped, bus.ReasonStopped)
}

func TestStagePauseAndResume(t *testing.T) {
	h := startStage(t, Config{Earcons: true})
	h.say("u1", "one", bus.PriorityNormal, time.Minute)
	h.started("one")
	h.expect("u1", bus.SpeechStarted, "")
	h.control(bus.SpeechPause)
	h.silenced("one")
	h.expect("u1", bus.SpeechInterrupted, bus.ReasonPaused)
	h.started("earcon:paused")
	h.fake.finish <- struct{}{}
	h.say("u2", "while paused", bus.PriorityUrgent, time.Minute)
	h.expect("u2", bus.SpeechDropped, bus.ReasonPaused)
	h.control(bus.SpeechResume)
	h.waitResumed()
	h.say("u3", "after resume", bus.PriorityNormal, time.Minute)
	h.started("after resume")
	h.fake.finish <- struct{}{}
	h.expect("u3", bus.SpeechStarted, "")
	h.expect("u3", bus.SpeechFinished, "")
}

func TestStageReportsSynthesisFailure(t *testing.T) {
	h := startStage(t, Config{})
	h.fake.failOn = "unsayable"
	h.say("u1", "unsayable", bus.PriorityNormal, time.Minute)
	h.expect("u1", bus.SpeechDropped, bus.ReasonFailed+": synthesizer broke")
	bustest.Eventually(t, 5*time.Second, "failure counted", func() bool { return h.stage.failed.Load() == 1 })
}

func TestStageEarconsFromBusEvents(t *testing.T) {
	h := startStage(t, Config{Earcons: true})
	publish := func(subject string, v any) {
		t.Helper()
		if err := h.pub.PublishEvent(subject, v); err != nil {
			t.Fatal(err)
		}
	}
	publish(bus.SourceSubject("cam0"), map[string]any{"state": "up"}) // no earcon
	publish(bus.SourceSubject("cam0"), map[string]any{"state": "down"})
	h.started("earcon:camera_lost")
	h.fake.finish <- struct{}{}
	publish(bus.SubjectWorkers, map[string]any{"state": "restarting"})
	h.started("earcon:model_down")
	h.fake.finish <- struct{}{}
	// The partials of one requested answer make one thinking earcon.
	for range 3 {
		publish(bus.DescriptionSubject("cam0"), bus.Description{Partial: true, RequestID: "r1"})
	}
	publish(bus.DescriptionSubject("cam0"), bus.Description{Partial: true}) // not a request
	h.started("earcon:thinking")
	h.fake.finish <- struct{}{}
	frame := bus.Frame{ID: "f1", Camera: "cam0", Seq: 1, CapturedAt: time.Now(), Width: 1, Height: 1, Reason: bus.FrameChanged, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
	if err := h.pub.PublishFrame(frame); err != nil {
		t.Fatal(err)
	}
	h.started("earcon:new_scene")
	h.fake.finish <- struct{}{}
	// Another scene change right away makes no second ping (at most one every 5 s).
	frame.ID = "f2"
	if err := h.pub.PublishFrame(frame); err != nil {
		t.Fatal(err)
	}
	publish(bus.SourceSubject("cam0"), map[string]any{"state": "down"})
	h.started("earcon:camera_lost")
	h.fake.finish <- struct{}{}
	select {
	case s := <-h.fake.started:
		t.Fatalf("unexpected clip %q", s)
	default:
	}
}

func TestStageWithoutEarconsPlaysNone(t *testing.T) {
	h := startStage(t, Config{Earcons: false})
	h.control(bus.SpeechPause)
	bustest.Eventually(t, 5*time.Second, "paused", func() bool {
		h.stage.mu.Lock()
		defer h.stage.mu.Unlock()
		return h.stage.paused
	})
	h.control(bus.SpeechResume)
	h.waitResumed()
	h.say("u1", "words", bus.PriorityNormal, time.Minute)
	h.started("words") // the first clip is the utterance, not a paused earcon
	h.fake.finish <- struct{}{}
}

func TestStageShutdownInterruptsAndCloses(t *testing.T) {
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "test")
	events := bustest.Collect[bus.SpeechEvent](t, pub, bus.SubjectSpeech, 8)
	fake := newFake()
	s, err := New(bustest.Conn(t, srv, "speech"), Config{Speaker: fake, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	now := time.Now().UTC()
	if err := pub.PublishEvent(bus.SubjectUtterances, bus.Utterance{ID: "u1", Text: "long", NotAfter: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	<-fake.started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ev := bustest.Next(t, events, 5*time.Second); ev.State != bus.SpeechStarted {
		t.Fatalf("first event %s", ev.State)
	}
	if ev := bustest.Next(t, events, 5*time.Second); ev.State != bus.SpeechInterrupted || ev.Reason != bus.ReasonShutdown {
		t.Fatalf("second event %s %q, want interrupted shutdown", ev.State, ev.Reason)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if !fake.closed {
		t.Fatal("speaker not closed")
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// rms is the root mean square of samples.
func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	sum := 0.0
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)))
}
