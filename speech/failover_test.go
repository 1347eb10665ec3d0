package speech

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// flakyOutput is the fake speaker with an output that can break: while broken, Prepare fails
// the way a synthesizer that died does, clips prepared before fail as a device that went away
// does, and Probe fails.
type flakyOutput struct {
	*fakeSpeaker
	broken atomic.Bool
	probes atomic.Int64
}

var errDied = errors.New("espeak-ng: signal: killed")

func (f *flakyOutput) Prepare(ctx context.Context, text string) (Clip, error) {
	if f.broken.Load() {
		return nil, errDied
	}
	c, err := f.fakeSpeaker.Prepare(ctx, text)
	if err != nil {
		return nil, err
	}
	return clipFunc(func(ctx context.Context) error {
		if f.broken.Load() {
			return errStalled
		}
		return c.Play(ctx)
	}), nil
}

func (f *flakyOutput) Name() string { return "portaudio/fake" }

func (f *flakyOutput) Probe(context.Context) error {
	f.probes.Add(1)
	if f.broken.Load() {
		return errDied
	}
	return nil
}

// collectUntil reads speech events until done says it has what it waits for.
func collectUntil(t *testing.T, h *harness, what string, done func([]bus.SpeechEvent) bool) []bus.SpeechEvent {
	t.Helper()
	var evs []bus.SpeechEvent
	deadline := time.Now().Add(time.Minute)
	for !done(evs) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: events so far %+v", what, evs)
		}
		evs = append(evs, bustest.Next(t, h.events, time.Minute))
	}
	return evs
}

func finishedText(evs []bus.SpeechEvent, text string) (bus.SpeechEvent, bool) {
	for _, e := range evs {
		if e.State == bus.SpeechFinished && e.Text == text {
			return e, true
		}
	}
	return bus.SpeechEvent{}, false
}

// TestFailoverPrintsWhenTheOutputDiesAndComesBack: the output dies while running (its
// synthesizer killed); the utterance is said on the next output (printed), with no failure
// event, the switch is announced once there and counted; when a probe finds the first output
// working again, speech moves back, says so on it, and counts it.
func TestFailoverPrintsWhenTheOutputDiesAndComesBack(t *testing.T) {
	out := &flakyOutput{fakeSpeaker: newFake()}
	var printed bustest.SyncBuffer
	f := NewFailover(out, NewText(&printed))
	h := startStage(t, Config{Speaker: f, RecoverFirst: 20 * time.Millisecond, RecoverLimit: 50 * time.Millisecond})
	h.fake = out.fakeSpeaker

	out.broken.Store(true)
	h.say("n1", "a red cup", bus.PriorityNormal, time.Minute)
	switched := announce.Make(announce.SpeechToText).Text
	evs := collectUntil(t, h, "the utterance and the switch printed", func(evs []bus.SpeechEvent) bool {
		_, a := finishedText(evs, "a red cup")
		_, b := finishedText(evs, switched)
		return a && b
	})
	for _, e := range evs {
		if e.State == bus.SpeechDropped || e.State == bus.SpeechInterrupted {
			t.Errorf("%q was %s (%s): a failed output must hand it on, not drop it", e.Text, e.State, e.Reason)
		}
		if e.State == bus.SpeechStarted && e.Backend != "text" {
			t.Errorf("%q started on %q, want text", e.Text, e.Backend)
		}
	}
	if got, want := printed.String(), "» "+switched+"\n» a red cup\n"; got != want {
		t.Errorf("printed %q, want %q: the switch, then the utterance the failed output left unsaid", got, want)
	}
	if got := h.stage.failovers.Load(); got != 1 {
		t.Errorf("failovers %d, want 1", got)
	}
	if h.stage.recovered.Load() != 0 {
		t.Error("recovered while the output is still broken")
	}
	bustest.Eventually(t, 10*time.Second, "the broken output probed", func() bool { return out.probes.Load() >= 2 })

	out.broken.Store(false)
	h.started(announce.Make(announce.SpeechBack).Text) // said on the output that is back
	out.finish <- struct{}{}
	bustest.Eventually(t, 10*time.Second, "recovery counted", func() bool { return h.stage.recovered.Load() == 1 })
	evs = collectUntil(t, h, "back said on the first output", func(evs []bus.SpeechEvent) bool {
		_, ok := finishedText(evs, announce.Make(announce.SpeechBack).Text)
		return ok
	})
	if e, _ := finishedText(evs, announce.Make(announce.SpeechBack).Text); e.Backend != "portaudio/fake" || e.Topic != bus.TopicSpeechBack {
		t.Errorf("back said on %q with topic %q", e.Backend, e.Topic)
	}
	h.say("n2", "a blue cup", bus.PriorityNormal, time.Minute)
	h.started("a blue cup")
	out.finish <- struct{}{}
	if strings.Contains(printed.String(), "a blue cup") {
		t.Error("printed after the first output came back")
	}
}

// TestFailoverAClipThatFailsMidwayIsSaidAgain: a clip prepared for the output fails as it
// plays (the device went away); it is said again, from its start, on the next output.
func TestFailoverAClipThatFailsMidwayIsSaidAgain(t *testing.T) {
	out := &flakyOutput{fakeSpeaker: newFake()}
	var printed bustest.SyncBuffer
	f := NewFailover(out, NewText(&printed))
	h := startStage(t, Config{Speaker: f, RecoverFirst: time.Hour, RecoverLimit: time.Hour})
	h.fake = out.fakeSpeaker
	out.fakeSpeaker.hold = make(chan struct{})
	h.say("n1", "a red cup", bus.PriorityNormal, time.Minute)
	bustest.Eventually(t, 5*time.Second, "prepared for the first output", func() bool { return len(out.preparedTexts()) == 1 })
	out.broken.Store(true)
	close(out.fakeSpeaker.hold)
	collectUntil(t, h, "said on text", func(evs []bus.SpeechEvent) bool { _, ok := finishedText(evs, "a red cup"); return ok })
	if !strings.Contains(printed.String(), "» a red cup\n") {
		t.Errorf("printed %q", printed.String())
	}
}

// TestFailoverOnTheLastOutputReportsTheFailure: with nothing left to fall back on, the failure
// is reported as before (dropped, failed) and counted.
func TestFailoverOnTheLastOutputReportsTheFailure(t *testing.T) {
	out := &flakyOutput{fakeSpeaker: newFake()}
	out.broken.Store(true)
	h := startStage(t, Config{Speaker: NewFailover(out), RecoverFirst: time.Hour, RecoverLimit: time.Hour})
	h.say("n1", "a red cup", bus.PriorityNormal, time.Minute)
	ev := h.expect("n1", bus.SpeechDropped, bus.ReasonFailed+": "+errDied.Error())
	if ev.Backend != "portaudio/fake" {
		t.Errorf("backend %q", ev.Backend)
	}
	if h.stage.failovers.Load() != 0 || h.stage.failed.Load() != 1 {
		t.Errorf("failovers %d failed %d, want 0 and 1", h.stage.failovers.Load(), h.stage.failed.Load())
	}
}

func TestFailoverSwitchesOncePerOutput(t *testing.T) {
	a, b, c := NewText(nil), NewText(nil), NewText(nil)
	f := NewFailover(a, b, c)
	gen := f.Generation()
	if _, ok := f.Failed(gen, errDied); !ok {
		t.Fatal("the first failure did not switch")
	}
	if _, ok := f.Failed(gen, errDied); ok {
		t.Fatal("a second failure of the same output switched again")
	}
	sw, ok := f.Failed(f.Generation(), errDied)
	if !ok || !sw.Text {
		t.Fatalf("failure of the second output: %+v %v", sw, ok)
	}
	if _, ok := f.Failed(f.Generation(), errDied); ok {
		t.Fatal("the last output switched to nothing")
	}
}
