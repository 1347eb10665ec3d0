package drain

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSpoken(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 30 * time.Second: "30 seconds", time.Minute: "1 minute",
		2 * time.Minute: "2 minutes", 90 * time.Second: "1 minute 30 seconds", 1400 * time.Millisecond: "1 second",
	} {
		if got := Spoken(d); got != want {
			t.Errorf("Spoken(%s) = %q, want %q", d, got, want)
		}
	}
}

// pipeline plays the other stages on a real bus.
type pipeline struct {
	t   *testing.T
	pub *bus.Conn
}

func (p pipeline) publish(subject string, v any) {
	p.t.Helper()
	if err := p.pub.PublishEvent(subject, v); err != nil {
		p.t.Fatal(err)
	}
}

func (p pipeline) frame(id string) {
	p.t.Helper()
	jpeg := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	if err := p.pub.PublishFrame(bus.Frame{ID: id, Camera: "cam0", Seq: 1, CapturedAt: time.Now(), Width: 1, Height: 1, Reason: bus.FrameFirst, JPEG: jpeg}); err != nil {
		p.t.Fatal(err)
	}
}

func start(t *testing.T, cfg Config) (pipeline, *bus.Queue[bus.Utterance], chan error, func()) {
	srv := bustest.Server(t)
	p := pipeline{t: t, pub: bustest.Conn(t, srv, "pipeline")}
	heard := bustest.Collect[bus.Utterance](t, p.pub, bus.SubjectUtterances, 16)
	cfg.Cameras, cfg.Logger = []string{"cam0"}, slog.New(slog.DiscardHandler)
	w, err := New(bustest.Conn(t, srv, "drain"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	return p, heard, done, cancel
}

var walk = []struct {
	subject string
	v       any
}{
	{bus.DescriptionSubject("cam0"), bus.Description{ID: "d1", Camera: "cam0", FrameID: "f1", Partial: true, Text: "A red"}},
	{bus.SubjectUtterances, bus.Utterance{ID: "u1", Text: "A red ball."}}, // said while streaming
	{bus.DescriptionSubject("cam0"), bus.Description{ID: "d0", Camera: "cam0", FrameID: "f0", Text: "An older frame."}},
	{bus.DescriptionSubject("cam0"), bus.Description{ID: "d1", Camera: "cam0", FrameID: "f1", Text: "A red ball. On a table."}},
	{bus.SubjectUtterances, bus.Utterance{ID: "u2", Text: "On a table."}},
	{bus.SubjectDecisions, bus.Decision{ID: "x", DescriptionID: "d1", Action: bus.ActionSpeak, UtteranceID: "u2"}},
	{bus.SubjectSpeech, bus.SpeechEvent{UtteranceID: "u1", State: bus.SpeechStarted}},
	{bus.SubjectSpeech, bus.SpeechEvent{UtteranceID: "u1", State: bus.SpeechFinished}},
	{bus.SubjectSpeech, bus.SpeechEvent{UtteranceID: "u2", State: bus.SpeechStarted}},
}

// TestStateWaitsForDescriptionDecisionAndSpeech walks the pipeline one event at a time: the
// run is done only once the last frame is described, decided and everything said.
func TestStateWaitsForDescriptionDecisionAndSpeech(t *testing.T) {
	s := newState([]string{"cam0"}, true)
	s.event(bus.Message{Subject: bus.FrameSubject("cam0"), Frame: bus.Frame{ID: "f1", Camera: "cam0"}})
	if s.allEnded() {
		t.Fatal("ended before the source ended")
	}
	s.event(msg(t, bus.SourceSubject("cam0"), bus.SourceEvent{Camera: "cam0", State: bus.SourceEnded}))
	if !s.allEnded() {
		t.Fatal("not ended after the source ended")
	}
	for i, step := range walk {
		if s.done() {
			t.Fatalf("done before step %d (%s)", i, step.subject)
		}
		s.event(msg(t, step.subject, step.v))
	}
	if s.done() {
		t.Fatalf("done while u2 is being said: pending %q", s.pending())
	}
	s.event(msg(t, bus.SubjectSpeech, bus.SpeechEvent{UtteranceID: "u2", State: bus.SpeechFinished}))
	if !s.done() {
		t.Fatalf("not done at the end: pending %q", s.pending())
	}
}

func msg(t *testing.T, subject string, v any) bus.Message {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Message{Subject: subject, Data: data}
}

func TestRunReturnsOnceEverythingWasSaid(t *testing.T) {
	p, _, done, cancel := start(t, Config{Speech: true, Timeout: time.Minute})
	defer cancel()
	p.frame("f1")
	p.publish(bus.SourceSubject("cam0"), bus.SourceEvent{Camera: "cam0", State: bus.SourceEnded})
	for _, s := range walk {
		p.publish(s.subject, s.v)
	}
	p.publish(bus.SubjectSpeech, bus.SpeechEvent{UtteranceID: "u2", State: bus.SpeechFinished})
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil once everything was said", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return once everything was said")
	}
}

func TestCutShortIsSaid(t *testing.T) {
	p, heard, done, cancel := start(t, Config{Speech: false, Timeout: 200 * time.Millisecond})
	defer cancel()
	p.frame("f1")
	p.publish(bus.SourceSubject("cam0"), bus.SourceEvent{Camera: "cam0", State: bus.SourceEnded})
	select {
	case err := <-done:
		if !errors.Is(err, ErrCutShort) {
			t.Fatalf("Run = %v, want ErrCutShort", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not give up")
	}
	u := bustest.Next(t, heard, 5*time.Second)
	if u.Text != "Stopped after waiting 0 seconds, before everything was said." || u.Kind != bus.KindAnnouncement || u.Topic != bus.TopicCutShort {
		t.Fatalf("said %+v", u)
	}
}

func TestNoPictureIsAnError(t *testing.T) {
	p, _, done, cancel := start(t, Config{Timeout: time.Minute})
	defer cancel()
	p.publish(bus.SourceSubject("cam0"), bus.SourceEvent{Camera: "cam0", State: bus.SourceEnded})
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoPicture) {
			t.Fatalf("Run = %v, want ErrNoPicture", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
}
